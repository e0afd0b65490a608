using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Onboarding.Benchmarks;

/// <summary>
/// The operations console (the real <c>Console</c> build, Release) as a child process on a free loopback port, with
/// its task index under a key prefix of its own, and an HTTP client signed in with the password it was given: what an
/// operator's browser talks to. Disposal stops it gracefully (SIGTERM), then for sure.
/// </summary>
internal sealed partial class ConsoleProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ConsoleProcess(Process process, Uri address, HttpClient client)
    {
        _process = process;
        Address = address;
        Http = client;
    }

    public Uri Address { get; }

    /// <summary>Signed in; does not follow redirects.</summary>
    public HttpClient Http { get; }

    public static string? AssemblyPath()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var path = Path.Combine(Projects.AppHost.ProjectPath, "..", "Console", "bin", output.Parent!.Name, output.Name, "Console.dll");
        return File.Exists(path) ? Path.GetFullPath(path) : null;
    }

    public static async Task<ConsoleProcess> StartAsync(BenchmarkInfrastructure infrastructure, string keyPrefix, int maxTasks, CancellationToken cancellationToken)
    {
        var assembly = AssemblyPath() ?? throw new InvalidOperationException("Console.dll is missing: build Console/Console.csproj in the benchmarks' configuration (scripts/bench.sh does).");
        var password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var address = new Uri($"http://127.0.0.1:{FreePort().ToString(CultureInfo.InvariantCulture)}");
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(assembly);
        start.Environment["ConnectionStrings__rabbitmq"] = infrastructure.RabbitMqConnectionString;
        start.Environment["ConnectionStrings__redis"] = infrastructure.RedisConnectionString;
        start.Environment["Console__Password"] = password;
        start.Environment["Console__Index__KeyPrefix"] = keyPrefix;
        start.Environment["Console__Index__MaxTasks"] = maxTasks.ToString(CultureInfo.InvariantCulture);
        start.Environment["ASPNETCORE_URLS"] = address.ToString();
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        var process = Process.Start(start) ?? throw new InvalidOperationException("The console did not start.");
        process.OutputDataReceived += static (_, _) => { };
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer(), UseCookies = true })
        {
            BaseAddress = address,
        };
        var console = new ConsoleProcess(process, address, client);
        try
        {
            await console.SignInAsync(password, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await console.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return console;
    }

    /// <summary>The CPU the console process has used so far.</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    /// <summary>What <c>GET /api/overview</c> says about ingestion: events read, events dropped, whether it samples.</summary>
    public async Task<(long Received, long Dropped, bool Sampling)> IngestionAsync(CancellationToken cancellationToken)
    {
        using var response = await Http.GetAsync(new Uri("/api/overview", UriKind.Relative), cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        var ingestion = json.RootElement.GetProperty("ingestion");
        return (ingestion.GetProperty("received").GetInt64(), ingestion.GetProperty("dropped").GetInt64(), ingestion.GetProperty("sampling").GetBoolean());
    }

    private async Task SignInAsync(string password, CancellationToken cancellationToken)
    {
        // Up once the login page answers (start-up takes seconds on a busy machine).
        var started = Stopwatch.StartNew();
        string form;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The console exited with {_process.ExitCode} during start-up.");
            }

            try
            {
                form = await Http.GetStringAsync(new Uri("/login", UriKind.Relative), cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (HttpRequestException) when (started.Elapsed < TimeSpan.FromSeconds(90))
            {
                await Task.Delay(250, cancellationToken).ConfigureAwait(false);
            }
        }

        using var login = await Http.PostAsync(new Uri("/login", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["password"] = password,
            ["__RequestVerificationToken"] = AntiforgeryField().Match(form).Groups[1].Value,
        }), cancellationToken).ConfigureAwait(false);
        if (login.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"The console's login answered {(int)login.StatusCode}.");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            using (Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
