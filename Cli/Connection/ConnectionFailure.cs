using System.Net.Sockets;
using RabbitMQ.Client.Exceptions;
using StackExchange.Redis;

namespace Onboarding.Cli.Connection;

/// <summary>Tells a failure to reach or log in to RabbitMQ or Redis (exit code 3) from an operation's own failure.</summary>
internal static class ConnectionFailure
{
    public static string? Describe(Exception exception, BrokerConnection? connection)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case BrokerUnreachableException or ConnectFailureException or AuthenticationFailureException:
                    return $"Cannot connect to RabbitMQ at {connection?.RabbitMqForDisplay ?? "the broker"} " +
                        $"(from {connection?.RabbitMqSource ?? "unknown"}): {Innermost(current).Message}";
                case RedisConnectionException or RedisTimeoutException:
                    return $"Cannot connect to Redis at {connection?.RedisForDisplay ?? "the server"} " +
                        $"(from {connection?.RedisSource ?? "unknown"}): {FirstLine(current.Message)}";
                case SocketException socket:
                    return $"Cannot connect: {socket.Message}";
                default:
                    break;
            }
        }

        return null;
    }

    private static Exception Innermost(Exception exception)
    {
        while (exception.InnerException is not null)
        {
            exception = exception.InnerException;
        }

        return exception;
    }

    // StackExchange.Redis appends its whole diagnostic state after " - "; the first part says what happened.
    private static string FirstLine(string text) =>
        text.Split('\n')[0].Split(" - ", 2, StringSplitOptions.None)[0].Trim();
}
