using System.CommandLine;
using System.Globalization;
using Onboarding.TaskEngine.Control;

namespace Onboarding.Cli.Commands;

/// <summary>
/// <c>workers</c>: which workers are alive, with their stats: <c>celery inspect ping</c> and <c>inspect stats</c> in
/// one table. Python Celery workers of the same fleet answer too.
/// </summary>
internal static class WorkersCommand
{
    public static Command Create(CliContext context)
    {
        var control = new ControlOptionsBinder();
        var command = new Command("workers", "List the workers that answer (ping) with their stats: pid, concurrency, tasks run, uptime");
        control.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = context.Output(parseResult);
            var options = control.Get(parseResult);
            await using var session = context.OpenSession(parseResult);
            var workers = session.Get<IWorkerControl>();
            var pingTask = workers.PingAsync(options, cancellationToken);
            var statsTask = workers.StatsAsync(options, cancellationToken);
            var pings = await pingTask;
            var stats = await statsTask;
            if (pings.Count == 0 && stats.Count == 0)
            {
                throw ControlOptionsBinder.NoReplies(options);
            }

            ControlOptionsBinder.WarnAboutDuplicates(output, pings.Select(p => p.Node));
            // Paired by node name, and by order among workers that (wrongly) share one.
            var rows = pings.Select(p => p.Node).Union(stats.Select(s => s.Node), StringComparer.Ordinal).Order(StringComparer.Ordinal)
                .SelectMany(node =>
                {
                    var nodePings = pings.Where(p => p.Node == node).ToList();
                    var nodeStats = stats.Where(s => s.Node == node).ToList();
                    return Enumerable.Range(0, Math.Max(nodePings.Count, nodeStats.Count)).Select(i =>
                    {
                        var ping = i < nodePings.Count ? nodePings[i] : null;
                        var stat = i < nodeStats.Count ? nodeStats[i] : null;
                        return new
                        {
                            node,
                            ping = ping is null ? "no reply" : ping.Error ?? ping.Value?.Message,
                            pid = stat?.Value?.Pid,
                            concurrency = stat?.Value?.MaxConcurrency,
                            prefetch = stat?.Value?.PrefetchCount,
                            processed = stat?.Value?.Total.Values.Sum(),
                            uptime = stat?.Value?.Uptime,
                            stats = stat?.Raw,
                        };
                    });
                }).ToList();
            if (output.Json)
            {
                output.WriteJson(rows);
            }
            else
            {
                output.WriteTable(
                    ["node", "ping", "pid", "concurrency", "prefetch", "processed", "uptime"],
                    rows.Select(r => (IReadOnlyList<string?>)
                    [
                        r.node, r.ping, Number(r.pid), Number(r.concurrency), Number(r.prefetch), Number(r.processed),
                        r.uptime is { } seconds ? Uptime(seconds) : null,
                    ]));
                output.WriteNote($"{rows.Count} node(s) online.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static string? Number(long? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static string Uptime(double seconds)
    {
        var span = TimeSpan.FromSeconds(Math.Round(seconds));
        return span.TotalDays >= 1
            ? span.ToString(@"d\.hh\:mm\:ss", CultureInfo.InvariantCulture)
            : span.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture);
    }
}
