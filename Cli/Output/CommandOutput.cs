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
    private readonly int _width;

    public CommandOutput(CliConsole console, bool json)
    {
        _console = console;
        Json = json;
        // A terminal's own width (tables wrap long cells to fit); redirected output is cut by nobody.
        _width = console.OutputIsTerminal ? AnsiConsole.Profile.Width : RedirectedWidth;
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
        // Columns as kubectl and docker print them: no frame, two spaces apart, easy to read and to cut.
        var table = new Table().Border(TableBorder.None);
        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(new Text(header.ToUpperInvariant())) { Padding = new Padding(0, 0, 2, 0) });
        }

        foreach (var row in rows)
        {
            table.AddRow(row.Select(cell => (IRenderable)new Text(cell ?? string.Empty)).ToArray());
        }

        using var rendered = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(rendered),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = _width;
        console.Write(table);
        foreach (var line in rendered.ToString().Split('\n'))
        {
            if (line.Trim().Length > 0)
            {
                _console.Out.WriteLine(line.TrimEnd());
            }
        }
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

    /// <summary>A time in UTC, to the second, for a table cell.</summary>
    public static string? Time(DateTimeOffset? value) =>
        value?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A JSON value as compact text for a table cell.</summary>
    public static string Compact(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Undefined => string.Empty,
        JsonValueKind.String => value.GetString() ?? string.Empty,
        _ => JsonSerializer.Serialize(value, JsonLineOptions),
    };
}
