using System.CommandLine;
using Onboarding.Cli.Output;
using Onboarding.TaskEngine.Control;

namespace Onboarding.Cli.Commands;

/// <summary>
/// <c>inspect active|reserved|scheduled|registered|queues|revoked</c>: what each worker holds and knows, as
/// <c>celery inspect</c> asks it. <c>--json</c> prints each node's reply as it sent it, keyed by node name, as
/// <c>celery inspect --json</c> does.
/// </summary>
internal static class InspectCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("inspect", "Ask the workers what they run, hold and know");
        command.Subcommands.Add(Create(context, "active", "Tasks each worker is running now",
            (w, o, c) => w.ActiveAsync(o, c), ["id", "task", "args", "kwargs", "started", "queue"],
            t => [t.Id, t.Name, CommandOutput.Compact(t.Args), CommandOutput.Compact(t.Kwargs), CommandOutput.Time(t.TimeStart), t.RoutingKey]));
        command.Subcommands.Add(Create(context, "reserved", "Tasks each worker has received but not started",
            (w, o, c) => w.ReservedAsync(o, c), ["id", "task", "args", "kwargs", "queue"],
            t => [t.Id, t.Name, CommandOutput.Compact(t.Args), CommandOutput.Compact(t.Kwargs), t.RoutingKey]));
        command.Subcommands.Add(Create(context, "scheduled",
            "Tasks each worker holds until their ETA (our workers hold none: delays wait in the broker)",
            (w, o, c) => w.ScheduledAsync(o, c), ["id", "task", "eta", "args"],
            s => [s.Request.Id, s.Request.Name, CommandOutput.Time(s.Eta), CommandOutput.Compact(s.Request.Args)]));
        command.Subcommands.Add(Create(context, "registered", "The tasks each worker can run",
            (w, o, c) => w.RegisteredAsync(o, c), ["task"], name => [name]));
        command.Subcommands.Add(Create(context, "queues", "The queues each worker consumes (Celery's active_queues)",
            (w, o, c) => w.ActiveQueuesAsync(o, c), ["queue", "exchange", "routing key", "durable"],
            q => [q.Name, q.Exchange, q.RoutingKey, q.Durable ? "yes" : "no"]));
        command.Subcommands.Add(Create(context, "revoked", "The task ids each worker knows as revoked",
            (w, o, c) => w.RevokedAsync(o, c), ["id"], id => [id]));
        return command;
    }

    private static Command Create<T>(
        CliContext context,
        string name,
        string description,
        Func<IWorkerControl, ControlOptions, CancellationToken, Task<IReadOnlyList<WorkerReply<IReadOnlyList<T>>>>> query,
        string[] headers,
        Func<T, string?[]> row)
    {
        var control = new ControlOptionsBinder();
        var command = new Command(name, description);
        control.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = context.Output(parseResult);
            var options = control.Get(parseResult);
            await using var session = context.OpenSession(parseResult);
            var replies = (await query(session.Get<IWorkerControl>(), options, cancellationToken))
                .OrderBy(r => r.Node, StringComparer.Ordinal).ToList();
            if (replies.Count == 0)
            {
                throw ControlOptionsBinder.NoReplies(options);
            }

            ControlOptionsBinder.WarnAboutDuplicates(output, replies.Select(r => r.Node));
            if (output.Json)
            {
                output.WriteJson(replies.GroupBy(r => r.Node, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Raw, StringComparer.Ordinal));
                return ExitCodes.Success;
            }

            var rows = new List<IReadOnlyList<string?>>();
            foreach (var reply in replies)
            {
                if (reply.Error is not null)
                {
                    rows.Add([reply.Node, $"error: {reply.Error}", .. Enumerable.Repeat<string?>(null, headers.Length - 1)]);
                }
                else if (reply.Value is not { Count: > 0 } items)
                {
                    // The node answered and holds nothing: still a row, so it is seen to be there.
                    rows.Add([reply.Node, "-", .. Enumerable.Repeat<string?>(null, headers.Length - 1)]);
                }
                else
                {
                    rows.AddRange(items.Select(item => (IReadOnlyList<string?>)[reply.Node, .. row(item)]));
                }
            }

            output.WriteTable(["node", .. headers], rows);
            output.WriteNote($"{replies.Count} node(s) replied.");
            return ExitCodes.Success;
        });
        return command;
    }

}
