using System.CommandLine;
using System.CommandLine.Invocation;
using Onboarding.Cli.Commands;
using Onboarding.Cli.Connection;

namespace Onboarding.Cli;

/// <summary>
/// The <c>onboarding</c> command line: operates a fleet of task-engine workers (and Celery workers beside them)
/// through RabbitMQ and Redis. Every failure ends in one line on standard error and an exit code (<see cref="ExitCodes"/>).
/// </summary>
internal static class OnboardingCommandLine
{
    public static RootCommand Create(CliContext context)
    {
        var root = new RootCommand(
            "Operate the Onboarding task engine's workers, queues, results and dead letters. Connection settings come from " +
            "--rabbitmq/--redis, else ConnectionStrings__rabbitmq/ConnectionStrings__redis, else the AppHost running on this machine. " +
            "Exit codes: 0 done, 1 the operation failed or what it names does not exist, 2 usage error, 3 RabbitMQ or Redis unreachable.");
        root.Options.Add(context.RabbitMq);
        root.Options.Add(context.Redis);
        root.Options.Add(context.Json);
        root.Subcommands.Add(WorkersCommand.Create(context));
        root.Subcommands.Add(InspectCommand.Create(context));
        root.Subcommands.Add(CallCommand.Create(context));
        root.Subcommands.Add(ResultCommand.Create(context));
        root.Subcommands.Add(RevokeCommand.Create(context));
        root.Subcommands.Add(PurgeCommand.Create(context));
        root.Subcommands.Add(DeadLettersCommand.Create(context));
        root.Subcommands.Add(EventsCommand.Create(context));
        return root;
    }

    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliConsole console, CancellationToken cancellationToken)
    {
        var context = new CliContext(console);
        var root = Create(context);
        var parseResult = root.Parse(args);
        if (parseResult.Action is ParseErrorAction)
        {
            foreach (var error in parseResult.Errors)
            {
                await console.Error.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
            }

            await console.Error.WriteLineAsync($"See '{CommandPath(parseResult)} --help'.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        var configuration = new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            // Failures are reported below, as one line; never the library's stack trace.
            EnableDefaultExceptionHandler = false,
            // Ctrl+C cancels the token the caller passes (Program.cs); the library's own handler would exit on its own.
            ProcessTerminationTimeout = null,
        };
        try
        {
            return await parseResult.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        }
        catch (CommandFailedException ex)
        {
            await console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return ex.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await console.Error.WriteLineAsync("interrupted").ConfigureAwait(false);
            return ExitCodes.Interrupted;
        }
        catch (Exception ex) when (ConnectionFailure.Describe(ex, context.Connection) is { } message)
        {
            await console.Error.WriteLineAsync($"error: {message}").ConfigureAwait(false);
            return ExitCodes.ConnectionFailed;
        }
        catch (Exception ex)
        {
            // Anything else went wrong in the operation itself (the broker refused it, a worker answered nonsense).
            await console.Error.WriteLineAsync($"error: {ex.GetType().Name}: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failed;
        }
    }

    private static string CommandPath(ParseResult parseResult)
    {
        var names = new List<string>();
        for (var result = parseResult.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Add(result.Command.Name);
        }

        names.Reverse();
        names[0] = "onboarding";
        return string.Join(' ', names);
    }
}
