using System.Collections;

namespace Onboarding.Cli;

/// <summary>
/// The streams, terminal facts and environment a command runs with: the process's own, or a test's captured ones.
/// </summary>
internal sealed class CliConsole
{
    public required TextWriter Out { get; init; }

    public required TextWriter Error { get; init; }

    public required TextReader In { get; init; }

    /// <summary>Standard output is a terminal: tables get colour and the terminal's width.</summary>
    public bool OutputIsTerminal { get; init; }

    /// <summary>Standard input is a terminal: a question can be asked and answered.</summary>
    public bool InputIsTerminal { get; init; }

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public static CliConsole FromProcess() => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        In = Console.In,
        OutputIsTerminal = !Console.IsOutputRedirected,
        InputIsTerminal = !Console.IsInputRedirected,
        Environment = System.Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .ToDictionary(entry => (string)entry.Key, entry => (string?)entry.Value ?? string.Empty, StringComparer.Ordinal),
    };

    public string? GetEnvironmentVariable(string name) =>
        Environment.TryGetValue(name, out var value) && value.Length > 0 ? value : null;
}
