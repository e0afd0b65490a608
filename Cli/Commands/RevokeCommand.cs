using System.CommandLine;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Control;

namespace Onboarding.Cli.Commands;

/// <summary>
/// <c>revoke</c>: revokes tasks by id, as <c>celery control revoke</c> does. The revocation is stored in Redis (our
/// workers check it on receipt and before start, also those that start later) and broadcast to every worker, Python
/// Celery's included, which remember it in memory; <c>--terminate</c> also stops the ones running now.
/// </summary>
internal static class RevokeCommand
{
    public static Command Create(CliContext context)
    {
        var ids = new Argument<string[]>("id") { Description = "The task ids", Arity = ArgumentArity.OneOrMore };
        var terminate = new Option<bool>("--terminate")
        {
            Description = "Also stop the task where it is running now (our workers cancel the handler and store REVOKED; Celery's signal the pool process)",
        };
        var control = new ControlOptionsBinder();
        var command = new Command("revoke", "Revoke tasks: workers skip them, and with --terminate stop them while running") { ids, terminate };
        control.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var taskIds = parseResult.GetRequiredValue(ids);
            var kill = parseResult.GetValue(terminate);
            var options = control.Get(parseResult);
            var output = context.Output(parseResult);
            await using var session = context.OpenSession(parseResult);
            var client = session.Get<ITaskClient>();
            // The broadcast first: the stored revocation also cancels our running tasks, and a node whose task is
            // already gone would then answer "tasks unknown" to --terminate.
            var replies = await session.Get<IWorkerControl>().RevokeAsync(taskIds, kill, signal: null, options, cancellationToken);
            foreach (var taskId in taskIds)
            {
                await client.RevokeAsync(taskId, cancellationToken);
            }

            var states = new List<(string Id, string State)>();
            foreach (var taskId in taskIds)
            {
                states.Add((taskId, (await client.GetResult(taskId).GetStateAsync(cancellationToken)).ToWireName()));
            }

            if (output.Json)
            {
                output.WriteJson(new
                {
                    revoked = states.Select(s => new { id = s.Id, state = s.State }),
                    terminate = kill,
                    replies = replies.GroupBy(r => r.Node, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Raw, StringComparer.Ordinal),
                });
                return ExitCodes.Success;
            }

            output.WriteTable(["id", "state now"], states.Select(s => (IReadOnlyList<string?>)[s.Id, s.State]));
            foreach (var reply in replies.OrderBy(r => r.Node, StringComparer.Ordinal))
            {
                output.WriteNote($"{reply.Node}: {reply.Error ?? reply.Value?.Message}");
            }

            if (replies.Count == 0)
            {
                output.WriteNote("No worker replied; the revocation is stored, and our workers check it before they run a task.");
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
