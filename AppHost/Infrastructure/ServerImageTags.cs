namespace Onboarding.AppHost.Infrastructure;

/// <summary>
/// The container images published and run in containers mode, pinned to the release lines every test runs against
/// (Debian 12's RabbitMQ 3.10 and Redis 7.0), instead of the integrations' defaults (RabbitMQ 4.x, Redis 8.x),
/// so that a deployment relies on nothing the tests have not seen. Move these with the test servers, not before.
/// </summary>
internal static class ServerImageTags
{
    public const string RabbitMQ = "3.10";

    public const string RabbitMQWithManagement = "3.10-management";

    public const string Redis = "7.0";
}
