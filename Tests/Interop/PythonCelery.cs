using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Onboarding.Tests.Interop;

/// <summary>
/// Real Celery 5.2 (Debian's python3-celery) as a peer of our engine: a worker process and a one-shot client, both
/// configured with the servers the tests use.
/// </summary>
internal static class PythonCelery
{
    public const string Python = "/usr/bin/python3";

    public static string ScriptDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "Interop", "python");

    /// <summary>The environment that points <c>interop_app.py</c> at the given servers.</summary>
    public static Dictionary<string, string> Environment(string rabbitMqConnectionString, string redisConnectionString) => new()
    {
        ["INTEROP_BROKER_URL"] = rabbitMqConnectionString,
        ["INTEROP_RESULT_BACKEND"] = ToRedisUrl(redisConnectionString),
        ["PYTHONPATH"] = ScriptDirectory,
        ["PYTHONUNBUFFERED"] = "1",
    };

    /// <summary>StackExchange.Redis's <c>host:port,password=…</c> as redis-py's <c>redis://:password@host:port/0</c>.</summary>
    public static string ToRedisUrl(string connectionString)
    {
        var parts = connectionString.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var endpoint = parts[0];
        var password = parts.Skip(1)
            .Select(p => p.Split('=', 2))
            .Where(kv => kv.Length == 2 && kv[0].Equals("password", StringComparison.OrdinalIgnoreCase))
            .Select(kv => kv[1])
            .FirstOrDefault();
        return password is null ? $"redis://{endpoint}/0" : $"redis://:{Uri.EscapeDataString(password)}@{endpoint}/0";
    }

    /// <summary>Sends one task from Python and returns what <c>AsyncResult.get()</c> gave, as JSON.</summary>
    public static Task<JsonElement> SendAsync(
        Dictionary<string, string> environment, string task, string argsJson, CancellationToken cancellationToken, params string[] options)
        => RunScriptAsync(environment, "send_task.py", cancellationToken, [task, argsJson, .. options]);

    /// <summary>Runs a script of <see cref="ScriptDirectory"/> and returns its last output line as JSON.</summary>
    public static async Task<JsonElement> RunScriptAsync(
        Dictionary<string, string> environment, string script, CancellationToken cancellationToken, params string[] arguments)
    {
        var start = NewProcess(environment, [Path.Combine(ScriptDirectory, script), .. arguments]);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (process.ExitCode != 0 || lines.Length == 0)
        {
            throw new InvalidOperationException($"{script} failed ({process.ExitCode}): {await error}");
        }

        return JsonDocument.Parse(lines[^1]).RootElement.Clone();
    }

    /// <summary>Runs Debian's <c>celery</c> command line (<c>python3 -m celery -A interop_app …</c>) to its end.</summary>
    public static async Task<CeleryCommandResult> RunCeleryAsync(
        Dictionary<string, string> environment, CancellationToken cancellationToken, params string[] arguments)
    {
        var start = NewProcess(environment, ["-m", "celery", "-A", "interop_app", .. arguments]);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        return new CeleryCommandResult(process.ExitCode, await output, await error);
    }

    public static ProcessStartInfo NewProcess(Dictionary<string, string> environment, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = ScriptDirectory,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return start;
    }
}

/// <summary>What a <c>celery</c> command printed and its exit code.</summary>
public sealed record CeleryCommandResult(int ExitCode, string Output, string Error)
{
    /// <summary>The <c>--json</c> output: the last line that parses as JSON.</summary>
    public JsonElement Json
    {
        get
        {
            foreach (var line in Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Reverse())
            {
                if (line.StartsWith('{') || line.StartsWith('['))
                {
                    return JsonDocument.Parse(line).RootElement.Clone();
                }
            }

            throw new InvalidOperationException($"No JSON in the celery output ({ExitCode}): {Output} {Error}");
        }
    }

    /// <summary>
    /// One node's reply: <c>inspect --json</c> prints <c>{node: reply}</c>, <c>control --json</c> a list of such objects.
    /// </summary>
    public JsonElement ReplyOf(string node)
    {
        var json = Json;
        IEnumerable<JsonElement> replies = json.ValueKind == JsonValueKind.Array ? [.. json.EnumerateArray()] : [json];
        foreach (var reply in replies)
        {
            if (reply.TryGetProperty(node, out var value))
            {
                return value;
            }
        }

        throw new InvalidOperationException($"No reply from {node}: {Output} {Error}");
    }
}
