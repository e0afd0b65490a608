using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Onboarding.TaskEngine.DependencyInjection;

namespace Onboarding.Workers;

/// <summary>
/// The worker's command line, shaped like <c>celery worker -Q a,b -c N -B -n name -E</c>. Each option lands in the
/// <c>Worker</c> configuration section, where it overrides appsettings and environment (the AppHost and the tests set
/// the same keys, e.g. <c>Worker__Queues</c>). <c>--help</c> prints the usage and exits 0 before anything connects; a
/// mistake prints one line and exits 2, like other Unix tools' usage errors.
/// </summary>
internal static class WorkerCommandLine
{
    public const int UsageErrorExitCode = 2;

    private static readonly TaskWorkerOptions Defaults = new();

    private static readonly Option<string> Queues = new("--queues", "-Q")
    {
        Description = "Comma-separated queues to consume (celery -Q).",
        HelpName = "a,b",
        DefaultValueFactory = _ => Defaults.Queues,
    };

    private static readonly Option<int> Concurrency = new("--concurrency", "-c")
    {
        Description = "Tasks run at once (celery -c); the default is the number of CPU cores.",
        HelpName = "n",
        DefaultValueFactory = _ => Defaults.Concurrency,
        CustomParser = PositiveInteger,
    };

    private static readonly Option<int> PrefetchMultiplier = new("--prefetch-multiplier")
    {
        Description = "Messages prefetched per slot: prefetch = concurrency × this.",
        HelpName = "n",
        DefaultValueFactory = _ => Defaults.PrefetchMultiplier,
        CustomParser = PositiveInteger,
    };

    private static readonly Option<bool> Beat = new("--beat", "-B")
    {
        Description = "Also run the periodic task scheduler (celery -B); safe on every replica, a Redis lease makes one fire each tick. Off unless given (or Worker:Beat=true).",
    };

    private static readonly Option<string> Hostname = new("--hostname", "-n")
    {
        Description = "The worker's Celery node name (celery -n); %h expands to the host name, %n to its first label.",
        HelpName = "name",
        DefaultValueFactory = _ => "celery@%h",
    };

    private static readonly Option<bool> Events = new("--events", "-E")
    {
        Description = "Send Celery task events (celery -E), for celery events, Flower and the console. Off unless given (or Worker:Events=true).",
    };

    /// <summary>Each option and the configuration key it sets; the rest of the program reads only the keys.</summary>
    internal static readonly IReadOnlyList<(Option Option, string Key)> Mappings =
    [
        (Queues, "Worker:Queues"),
        (Concurrency, "Worker:Concurrency"),
        (PrefetchMultiplier, "Worker:PrefetchMultiplier"),
        (Beat, "Worker:Beat"),
        (Hostname, "Worker:Hostname"),
        (Events, "Worker:Events"),
    ];

    static WorkerCommandLine()
    {
        Queues.Validators.Add(result =>
        {
            if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string>()?.Replace(",", string.Empty, StringComparison.Ordinal)))
            {
                result.AddError("--queues needs at least one queue name.");
            }
        });
    }

    /// <summary>
    /// Reads <paramref name="args"/>: either an exit code (help printed, or a usage error) or the configuration the
    /// options set plus the arguments left for the host (<c>--Section:Key=value</c> configuration overrides).
    /// </summary>
    public static WorkerCommandLineResult Parse(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        // The host's own command-line configuration (--Section:Key=value) passes through untouched; everything else
        // is ours to parse, so a misspelt option is an error instead of a silently ignored configuration key.
        var hostArguments = args.Where(IsConfigurationOverride).ToArray();
        var parseResult = CreateCommand().Parse(args.Where(a => !IsConfigurationOverride(a)).ToArray());

        if (parseResult.Errors.Count > 0)
        {
            error.WriteLine($"Workers: {parseResult.Errors[0].Message} (see Workers --help)");
            return new WorkerCommandLineResult(UsageErrorExitCode, new Dictionary<string, string?>(), hostArguments);
        }

        if (parseResult.Action is not null)
        {
            // --help or --version: the root command has no action of its own, so only these set one.
            var exitCode = parseResult.Invoke(new InvocationConfiguration { Output = output, Error = error });
            return new WorkerCommandLineResult(exitCode, new Dictionary<string, string?>(), hostArguments);
        }

        var configuration = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (option, key) in Mappings)
        {
            // Only what was typed: defaults stay with appsettings, environment and TaskWorkerOptions.
            if (parseResult.GetResult(option) is { Implicit: false } result)
            {
                configuration[key] = Format(result.GetValueOrDefault<object?>());
            }
        }

        return new WorkerCommandLineResult(null, configuration, hostArguments);
    }

    private static RootCommand CreateCommand()
    {
        var command = new RootCommand(
            "Runs a task engine worker: consumes the given queues and runs their tasks, like `celery worker`.\n" +
            "Connections come from ConnectionStrings:rabbitmq and ConnectionStrings:redis (environment " +
            "ConnectionStrings__rabbitmq, ConnectionStrings__redis). Any other setting can be given as " +
            "--Section:Key=value, e.g. --Worker:ShutdownGracePeriod=00:00:10.");
        foreach (var (option, _) in Mappings)
        {
            command.Options.Add(option);
        }

        return command;
    }

    private static bool IsConfigurationOverride(string argument) =>
        argument.StartsWith("--", StringComparison.Ordinal)
        && argument.IndexOf(':', StringComparison.Ordinal) is > 2 and var colon
        && argument.IndexOf('=', StringComparison.Ordinal) is var equals && equals > colon;

    private static int PositiveInteger(ArgumentResult result)
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
        if (int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1)
        {
            return value;
        }

        var option = (result.Parent as OptionResult)?.Option.Name ?? "the option";
        result.AddError($"{option} needs a whole number of at least 1, not '{token}'.");
        return 0;
    }

    private static string? Format(object? value) => value switch
    {
        bool flag => flag ? "true" : "false",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value?.ToString(),
    };
}

/// <summary>What the command line decided: exit now with <see cref="ExitCode"/>, or run with this configuration.</summary>
internal sealed record WorkerCommandLineResult(
    int? ExitCode,
    IReadOnlyDictionary<string, string?> Configuration,
    IReadOnlyList<string> HostArguments);
