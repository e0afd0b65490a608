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
            var stats = (await statsTask).ToDictionary(r => r.Node, StringComparer.Ordinal);
            if (pings.Count == 0 && stats.Count == 0)
            {
                throw ControlOptionsBinder.NoReplies(options);
            }

            var nodes = pings.Select(p => p.Node).Union(stats.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var rows = nodes.Select(node =>
            {
                var ping = pings.FirstOrDefault(p => p.Node == node);
                var stat = stats.GetValueOrDefault(node)?.Value;
                return new
                {
                    node,
                    ping = ping is null ? "no reply" : ping.Error ?? ping.Value?.Message,
                    pid = stat?.Pid,
                    concurrency = stat?.MaxConcurrency,
                    prefetch = stat?.PrefetchCount,
                    processed = stat?.Total.Values.Sum(),
                    uptime = stat?.Uptime,
                    stats = stats.GetValueOrDefault(node)?.Raw,
                };
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
                output.WriteNote($"{nodes.Count} node(s) online.");
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
