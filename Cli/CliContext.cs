using System.CommandLine;
using Onboarding.Cli.Connection;
using Onboarding.Cli.Output;

namespace Onboarding.Cli;

/// <summary>What every command shares: the console, the global options, and the connection it opened.</summary>
internal sealed class CliContext(CliConsole console)
{
    public CliConsole Console { get; } = console;

    public Option<string> RabbitMq { get; } = new("--rabbitmq")
    {
        Description = "RabbitMQ as an AMQP URI (amqp://user:password@host:port); default: ConnectionStrings__rabbitmq, else the running AppHost's",
        HelpName = "uri",
        Recursive = true,
    };

    public Option<string> Redis { get; } = new("--redis")
    {
        Description = "Redis as a StackExchange.Redis string (host:port,password=...); default: ConnectionStrings__redis, else the running AppHost's",
        HelpName = "configuration",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print JSON for scripts instead of tables",
        Recursive = true,
    };

    /// <summary>The connection of the running command, for the message when it cannot be reached.</summary>
    public BrokerConnection? Connection { get; private set; }

    public EngineSession OpenSession(ParseResult parseResult)
    {
        Connection = ConnectionResolver.Resolve(parseResult.GetValue(RabbitMq), parseResult.GetValue(Redis), Console);
        return EngineSession.Create(Connection, Console);
    }

    public CommandOutput Output(ParseResult parseResult) => new(Console, parseResult.GetValue(Json));
}
