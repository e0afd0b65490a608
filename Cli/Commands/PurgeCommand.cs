using System.CommandLine;
using Onboarding.TaskEngine.Abstractions;

namespace Onboarding.Cli.Commands;

/// <summary><c>purge</c>: deletes the waiting messages of one queue, after asking (Celery's <c>celery purge -Q</c>).</summary>
internal static class PurgeCommand
{
    public static Command Create(CliContext context)
    {
        var queue = new Argument<string>("queue") { Description = "The queue to empty, e.g. order_queue" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask; required when standard input is not a terminal" };
        var command = new Command("purge", "Delete every waiting message of a queue (tasks already running are not affected)") { queue, yes };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var name = parseResult.GetRequiredValue(queue);
            var output = context.Output(parseResult);
            await using var session = context.OpenSession(parseResult);
            var queues = session.Get<IBrokerQueues>();
            var status = await queues.GetStatusAsync(name, cancellationToken)
                ?? throw new CommandFailedException($"There is no queue named '{name}' on the broker.");
            if (!await Confirmation.AskAsync(
                context.Console, parseResult.GetValue(yes),
                $"Delete the {status.Messages} waiting message(s) of '{name}'?", cancellationToken))
            {
                output.WriteNote("Nothing purged.");
                return ExitCodes.Failed;
            }

            var purged = await queues.PurgeAsync(name, cancellationToken);
            if (output.Json)
            {
                output.WriteJson(new { queue = name, purged });
            }
            else
            {
                output.WriteLine($"Purged {purged} message(s) from '{name}'.");
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
