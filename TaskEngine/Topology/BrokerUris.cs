namespace Onboarding.TaskEngine.Topology;

/// <summary>
/// The URIs of a RabbitMQ connection string, without the client library: one AMQP URI is one node; several separated by
/// <c>;</c> are a cluster's nodes, in the failover form Celery's <c>broker_url</c> takes. Remote control reports the
/// first as the broker (as Celery does); the transport builds its endpoint list from all of them.
/// </summary>
internal static class BrokerUris
{
    public const char Separator = ';';

    /// <summary>Every node of a connection string that is a URI, in the order written.</summary>
    public static IReadOnlyList<Uri> Nodes(string? connectionString) =>
        (connectionString ?? string.Empty).Split(Separator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(text => Uri.TryCreate(text, UriKind.Absolute, out var uri) ? uri : null)
            .OfType<Uri>()
            .ToList();

    /// <summary>The first node of a connection string (all of it when it names one node), or false when it is no URI.</summary>
    public static bool TryGetFirst(string? connectionString, out Uri uri)
    {
        var first = connectionString?.Split(Separator, 2, StringSplitOptions.TrimEntries)[0];
        return Uri.TryCreate(first, UriKind.Absolute, out uri!);
    }
}
