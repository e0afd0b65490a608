using System.CommandLine;
using Onboarding.TaskEngine.Control;
using Onboarding.TaskEngine.Monitoring;

namespace Onboarding.Cli.Commands;

/// <summary>
/// <c>events</c>: the fleet's Celery events, live, until Ctrl+C: <c>celery events --dump</c> for .NET operators, or
/// one JSON object per line with <c>--json</c>. Workers send them when started with <c>--events</c> or after
/// <c>control enable_events</c>.
/// </summary>
internal static class EventsCommand
{
    public static Command Create(CliContext context)
    {
        var pattern = new Option<string>("--pattern", "-p")
        {
            Description = "Only events whose type matches this topic pattern (dashes as dots): task.#, worker.#, task.failed",
            HelpName = "pattern",
            DefaultValueFactory = _ => "#",
        };
        var noHeartbeats = new Option<bool>("--no-heartbeats") { Description = "Leave out worker-heartbeat events (one per worker every 2 s)" };
        var enable = new Option<bool>("--enable")
        {
            Description = "First ask every worker to send task events (control enable_events), as Flower does; workers started without --events send only worker events",
        };
        var command = new Command("events", "Print the workers' events as they happen (like `celery events --dump`) until Ctrl+C")
        {
            pattern, noHeartbeats, enable,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = context.Output(parseResult);
            var skipHeartbeats = parseResult.GetValue(noHeartbeats);
            await using var session = context.OpenSession(parseResult);
            var reader = session.Get<ICeleryEventReader>();
            if (parseResult.GetValue(enable))
            {
                var replies = await session.Get<IWorkerControl>().EnableEventsAsync(cancellationToken: cancellationToken);
                output.WriteNote($"-> Task events enabled on {replies.Count(r => r.IsSuccess)} worker(s).");
            }

            var dump = new EventDump();
            output.WriteNote("-> Listening for events; Ctrl+C to stop.");
            try
            {
                await foreach (var evt in reader.ReadAsync(parseResult.GetRequiredValue(pattern), cancellationToken))
                {
                    if (skipHeartbeats && evt.Type == CeleryEventTypes.WorkerHeartbeat)
                    {
                        continue;
                    }

                    if (output.Json)
                    {
                        output.WriteJsonLine(evt.Fields);
                    }
                    else
                    {
                        output.WriteLine(dump.Format(evt));
                        context.Console.Out.Flush();
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C is how this command ends.
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
