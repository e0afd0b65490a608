using System.CommandLine;
using Onboarding.TaskEngine.Abstractions;

namespace Onboarding.Cli.Commands;

/// <summary><c>revoke</c>: revokes tasks by id, as <c>celery control revoke</c> does.</summary>
internal static class RevokeCommand
{
    public static Command Create(CliContext context)
    {
        var ids = new Argument<string[]>("id") { Description = "The task ids", Arity = ArgumentArity.OneOrMore };
        var terminate = new Option<bool>("--terminate")
        {
            Description = "Also stop the task if it is running now (its handler's cancellation token; a Celery worker kills the process)",
        };
        var command = new Command("revoke", "Revoke tasks: workers skip them, and with --terminate stop them while running") { ids, terminate };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var taskIds = parseResult.GetRequiredValue(ids);
            var output = context.Output(parseResult);
            await using var session = context.OpenSession(parseResult);
            var client = session.Get<ITaskClient>();
            var rows = new List<(string Id, string State)>();
            foreach (var taskId in taskIds)
            {
                await client.RevokeAsync(taskId, cancellationToken);
                rows.Add((taskId, (await client.GetResult(taskId).GetStateAsync(cancellationToken)).ToWireName()));
            }

            if (output.Json)
            {
                output.WriteJson(rows.Select(r => new { id = r.Id, state = r.State, revoked = true }));
            }
            else
            {
                output.WriteTable(["id", "revoked", "state now"], rows.Select(r => (IReadOnlyList<string?>)[r.Id, "yes", r.State]));
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
