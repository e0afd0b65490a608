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
        var (rabbitMq, rabbitMqSource) = FromOptionOrEnvironment(rabbitMqOption, RabbitMqVariable, console);
        var (redis, redisSource) = FromOptionOrEnvironment(redisOption, RedisVariable, console);
        string? problem = null;
        if (rabbitMq is null || redis is null)
        {
            var path = AppHostStateFile.PathFor(console);
            (var stateRabbitMq, var stateRedis, problem) = AppHostStateFile.Read(path);
            var appHost = $"the running AppHost ({path})";
            (rabbitMq, rabbitMqSource) = rabbitMq is null ? (stateRabbitMq, appHost) : (rabbitMq, rabbitMqSource);
            (redis, redisSource) = redis is null ? (stateRedis, appHost) : (redis, redisSource);
        }

        if (rabbitMq is not null && redis is not null)
        {
            return new BrokerConnection(rabbitMq, redis, rabbitMqSource!, redisSource!);
        }

        var missing = rabbitMq is null && redis is null ? "RabbitMQ and Redis" : rabbitMq is null ? "RabbitMQ" : "Redis";
        throw CommandFailedException.Usage(
            $"No {missing} connection settings, and {problem}. Pass --rabbitmq amqp://guest:<password>@localhost:<port> " +
            $"and --redis localhost:<port>,password=<password> (the Aspire dashboard shows both in the rabbitmq and redis " +
            $"resources' connection strings), or set {RabbitMqVariable} and {RedisVariable}, or start the app with " +
            "`dotnet run --project AppHost` on this machine.");
    }

    private static (string? Value, string? Source) FromOptionOrEnvironment(string? option, string variable, CliConsole console) =>
        option is not null ? (option, "--" + variable[(variable.IndexOf("__", StringComparison.Ordinal) + 2)..])
            : console.GetEnvironmentVariable(variable) is { } value ? (value, variable)
            : (null, null);
}
