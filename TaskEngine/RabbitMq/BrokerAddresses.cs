using Onboarding.TaskEngine.Topology;
using RabbitMQ.Client;

namespace Onboarding.TaskEngine.RabbitMq;

/// <summary>
/// The nodes of a RabbitMQ connection string. One AMQP URI is one node; several URIs separated by <c>;</c> are the
/// nodes of a cluster, in the failover form Celery's <c>broker_url</c> takes, so Python clients and ours read the same
/// string. RabbitMQ.Client logs in with one user, password and virtual host on whichever node it reaches, so every URI
/// must carry the same ones.
/// </summary>
internal sealed class BrokerAddresses
{
    private BrokerAddresses(IReadOnlyList<string> uris) => Uris = uris;

    /// <summary>Each node's URI as written, percent-encoding intact.</summary>
    public IReadOnlyList<string> Uris { get; }

    /// <summary>Every node as an endpoint for RabbitMQ.Client, which tries them in random order and on recovery.</summary>
    public IReadOnlyList<AmqpTcpEndpoint> Endpoints => Uris.Select(ToEndpoint).ToList();

    /// <summary>
    /// The nodes of <paramref name="connectionString"/>; null for one URI or none, which need nothing beyond the client
    /// integration's own parsing.
    /// </summary>
    /// <exception cref="FormatException">A node is not an AMQP URI, or the nodes differ in credentials or virtual host.</exception>
    public static BrokerAddresses? ParseCluster(string? connectionString)
    {
        if (connectionString is null || !connectionString.Contains(BrokerUris.Separator, StringComparison.Ordinal))
        {
            return null;
        }

        var uris = connectionString.Split(BrokerUris.Separator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var parsed = uris.Select(Parse).ToList();
        var first = parsed[0];
        foreach (var uri in parsed.Skip(1))
        {
            if (uri.Scheme != first.Scheme || uri.UserInfo != first.UserInfo || uri.AbsolutePath != first.AbsolutePath)
            {
                throw new FormatException(
                    $"The RabbitMQ nodes '{Redacted(first)}' and '{Redacted(uri)}' differ in scheme, user, password or virtual host; "
                    + "a client uses the same ones on every node of a cluster.");
            }
        }

        return new BrokerAddresses(uris);
    }

    private static Uri Parse(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "amqp" or "amqps" && uri.Host.Length > 0
            ? uri
            : throw new FormatException($"'{Redacted(text)}' in the RabbitMQ connection string is not an amqp:// or amqps:// URI.");

    private static AmqpTcpEndpoint ToEndpoint(string text)
    {
        var uri = Parse(text);
        var tls = uri.Scheme == "amqps";
        return new AmqpTcpEndpoint(uri.Host, uri.IsDefaultPort ? AmqpTcpEndpoint.UseDefaultPort : uri.Port, new SslOption(uri.Host, enabled: tls));
    }

    // Error messages never carry a password.
    private static string Redacted(Uri uri) => $"{uri.Scheme}://{uri.Host}:{(uri.IsDefaultPort ? "default" : uri.Port)}{uri.AbsolutePath}";

    private static string Redacted(string text) => Uri.TryCreate(text, UriKind.Absolute, out var uri) ? Redacted(uri) : "(not a URI)";
}
