using StackExchange.Redis;

namespace Onboarding.TaskEngine.Redis;

/// <summary>How StackExchange.Redis reports that Redis is away rather than that a command was wrong.</summary>
internal static class RedisErrors
{
    /// <summary>
    /// Whether <paramref name="exception"/> says Redis is unreachable or not ready (restarting, loading its data),
    /// i.e. the same write may succeed later. Script errors and bad data are not transient.
    /// </summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        RedisConnectionException or RedisTimeoutException => true,
        // A connection reset while a command was in flight surfaces as the socket layer's own exception
        // (Pipelines.Sockets.Unofficial.ConnectionResetException, an IOException), not as RedisConnectionException:
        // seen when Redis was stopped under load.
        IOException or System.Net.Sockets.SocketException => true,
        // A command written while the connection is being torn down finds its pipe completed, and the client lets the
        // pipe's own exception out unwrapped: seen on a SUCCESS store when Redis was stopped under load.
        InvalidOperationException { Source: "System.IO.Pipelines" } => true,
        RedisServerException server => server.Message.StartsWith("LOADING", StringComparison.Ordinal)
            || server.Message.StartsWith("BUSY", StringComparison.Ordinal)
            || server.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal)
            || server.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal)
            || server.Message.StartsWith("READONLY", StringComparison.Ordinal)
            || server.Message.StartsWith("OOM", StringComparison.Ordinal),
        AggregateException { InnerExceptions.Count: 1 } aggregate => IsTransient(aggregate.InnerExceptions[0]),
        _ => false,
    };
}
