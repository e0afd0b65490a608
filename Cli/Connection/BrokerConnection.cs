namespace Onboarding.Cli.Connection;

/// <summary>The connection strings a command uses (the services' own shapes) and where each came from.</summary>
/// <param name="RabbitMq">An AMQP URI, <c>amqp://user:password@host:port</c>.</param>
/// <param name="Redis">A StackExchange.Redis configuration string, <c>host:port,password=…</c>.</param>
/// <param name="RabbitMqSource">Where <paramref name="RabbitMq"/> came from, for messages: an option, a variable, the AppHost.</param>
/// <param name="RedisSource">Where <paramref name="Redis"/> came from.</param>
internal sealed record BrokerConnection(string RabbitMq, string Redis, string RabbitMqSource, string RedisSource)
{
    /// <summary>The AMQP URI without its password, for messages; each node's, for a cluster's <c>;</c>-separated list.</summary>
    public string RabbitMqForDisplay => string.Join(';', RabbitMq.Split(';').Select(WithoutPassword));

    /// <summary>The Redis configuration without its password, for messages.</summary>
    public string RedisForDisplay => string.Join(',', Redis.Split(',')
        .Select(part => part.TrimStart().StartsWith("password=", StringComparison.OrdinalIgnoreCase) ? "password=***" : part));

    private static string WithoutPassword(string node) =>
        Uri.TryCreate(node, UriKind.Absolute, out var uri) && uri.UserInfo.Contains(':', StringComparison.Ordinal)
            ? node.Replace(uri.UserInfo, uri.UserInfo[..uri.UserInfo.IndexOf(':', StringComparison.Ordinal)] + ":***", StringComparison.Ordinal)
            : node;
}
