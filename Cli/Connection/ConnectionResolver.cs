namespace Onboarding.Cli.Connection;

/// <summary>
/// Finds the connection strings, each on its own, in this order: the <c>--rabbitmq</c>/<c>--redis</c> options, the
/// services' environment variables (<c>ConnectionStrings__rabbitmq</c>, <c>ConnectionStrings__redis</c>), then the
/// state file of an AppHost running on this machine.
/// </summary>
internal static class ConnectionResolver
{
    public const string RabbitMqVariable = "ConnectionStrings__rabbitmq";
    public const string RedisVariable = "ConnectionStrings__redis";

    public static BrokerConnection Resolve(string? rabbitMqOption, string? redisOption, CliConsole console)
    {
        var rabbitMq = rabbitMqOption ?? console.GetEnvironmentVariable(RabbitMqVariable);
        var redis = redisOption ?? console.GetEnvironmentVariable(RedisVariable);
        var source = rabbitMqOption is not null || redisOption is not null ? "options" : "environment";
        if (rabbitMq is not null && redis is not null)
        {
            return new BrokerConnection(rabbitMq, redis, source);
        }

        var path = AppHostStateFile.PathFor(console);
        var (stateRabbitMq, stateRedis, problem) = AppHostStateFile.Read(path);
        rabbitMq ??= stateRabbitMq;
        redis ??= stateRedis;
        if (rabbitMq is not null && redis is not null)
        {
            return new BrokerConnection(rabbitMq, redis, $"the running AppHost ({path})");
        }

        var missing = rabbitMq is null && redis is null ? "RabbitMQ and Redis" : rabbitMq is null ? "RabbitMQ" : "Redis";
        throw CommandFailedException.Usage(
            $"No {missing} connection settings, and {problem}. Pass --rabbitmq amqp://guest:<password>@localhost:<port> " +
            $"and --redis localhost:<port>,password=<password> (the Aspire dashboard shows both in the rabbitmq and redis " +
            $"resources' connection strings), or set {RabbitMqVariable} and {RedisVariable}, or start the app with " +
            "`dotnet run --project AppHost` on this machine.");
    }
}
