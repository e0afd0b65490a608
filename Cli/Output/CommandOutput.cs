using System.Text.Encodings.Web;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Onboarding.Cli.Output;

/// <summary>
/// What a command prints: tables and property lists for people, or one JSON document (<c>--json</c>) for scripts.
/// Results go to standard output; notes about them (nothing found, what was skipped) to standard error, so a
/// script's pipe carries only data.
/// </summary>
internal sealed class CommandOutput
{
    // Redirected output has no width; tables take what their content needs, up to this.
    private const int RedirectedWidth = 240;

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // Task results and tracebacks stay readable: quotes and angle brackets unescaped.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonSerializerOptions JsonLineOptions = new(JsonOptions) { WriteIndented = false };

    private readonly CliConsole _console;
    private readonly IAnsiConsole _ansi;

    public CommandOutput(CliConsole console, bool json)
    {
        _console = console;
        Json = json;
        _ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(console.Out),
            Ansi = console.OutputIsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = console.OutputIsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        if (!console.OutputIsTerminal)
        {
            _ansi.Profile.Width = RedirectedWidth;
        }
    }

    /// <summary>Print JSON instead of tables.</summary>
    public bool Json { get; }

    public void WriteJson<T>(T value) => _console.Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    /// <summary>One JSON document on one line: a stream of them (events) is JSON Lines.</summary>
    public void WriteJsonLine<T>(T value)
    {
        _console.Out.WriteLine(JsonSerializer.Serialize(value, JsonLineOptions));
        _console.Out.Flush();
    }

    public void WriteTable(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(new Text(header, new Style(decoration: Decoration.Bold))));
        }

        foreach (var row in rows)
        {
            table.AddRow(row.Select(cell => (IRenderable)new Text(cell ?? string.Empty)).ToArray());
        }

        _ansi.Write(table);
    }

    /// <summary>Name/value lines for one object (a result, a dead letter); multi-line values are indented.</summary>
    public void WriteProperties(IEnumerable<(string Name, string? Value)> properties)
    {
        var list = properties.Where(p => p.Value is not null).ToList();
        var width = list.Count == 0 ? 0 : list.Max(p => p.Name.Length) + 1;
        foreach (var (name, value) in list)
        {
            var lines = value!.Split('\n');
            _console.Out.WriteLine($"{(name + ":").PadRight(width)} {lines[0].TrimEnd('\r')}");
            foreach (var line in lines.Skip(1))
            {
                _console.Out.WriteLine($"{new string(' ', width)} {line.TrimEnd('\r')}");
            }
        }
    }

    public void WriteLine(string text) => _console.Out.WriteLine(text);

    /// <summary>A remark about the result, on standard error.</summary>
    public void WriteNote(string text) => _console.Error.WriteLine(text);

    /// <summary>A JSON value as compact text for a table cell.</summary>
    public static string Compact(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Undefined => string.Empty,
        JsonValueKind.String => value.GetString() ?? string.Empty,
        _ => JsonSerializer.Serialize(value, JsonLineOptions),
    };
}
