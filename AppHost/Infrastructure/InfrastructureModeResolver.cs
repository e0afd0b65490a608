namespace Onboarding.AppHost.Infrastructure;

/// <summary>Turns the configured mode into the one the AppHost uses, given what this machine has.</summary>
internal static class InfrastructureModeResolver
{
    public const string NothingAvailableMessage =
        "Neither a container runtime nor local RabbitMQ and Redis servers are available, so the AppHost cannot "
        + "provide rabbitmq and redis. Fix it one of two ways: start Docker (or Podman with "
        + "ASPIRE_CONTAINER_RUNTIME=podman), or install the servers with "
        + "'sudo apt-get install -y rabbitmq-server redis-server' (scripts/install-prerequisites.sh does this when no "
        + "container runtime answers).";

    /// <param name="configured">The configured mode.</param>
    /// <param name="isPublishing">Publishing always describes containers, whatever this machine has.</param>
    /// <param name="containerRuntimeAnswers">Asked only in <see cref="InfrastructureMode.Auto"/>.</param>
    /// <param name="executablesInstalled">Asked only when containers are not chosen.</param>
    public static InfrastructureMode Resolve(
        InfrastructureMode configured,
        bool isPublishing,
        Func<bool> containerRuntimeAnswers,
        Func<bool> executablesInstalled)
    {
        if (isPublishing || configured == InfrastructureMode.Containers)
        {
            return InfrastructureMode.Containers;
        }

        if (configured == InfrastructureMode.Auto && containerRuntimeAnswers())
        {
            return InfrastructureMode.Containers;
        }

        if (executablesInstalled())
        {
            return InfrastructureMode.Executables;
        }

        throw new InfrastructureUnavailableException(configured == InfrastructureMode.Executables
            ? "Infrastructure:Mode is 'executables' but rabbitmq-server or redis-server is not installed. Install them with "
              + "'sudo apt-get install -y rabbitmq-server redis-server' (or Infrastructure__Mode=executables "
              + "scripts/install-prerequisites.sh), or use "
              + "Infrastructure:Mode=containers with Docker running."
            : NothingAvailableMessage);
    }
}
