using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Onboarding.Tests.Infrastructure;

namespace Onboarding.Tests.Workers;

/// <summary>
/// A service or worker started by a local AppHost stops by itself, gracefully, when that AppHost ends: the orchestrator's SIGTERM
/// never reaches an application started through <c>dotnet run</c>.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class OrchestratorLifetimeTests(BrokerFixture fixture)
{
    [Theory]
    [InlineData("Workers", "Worker consuming")]
    [InlineData("UserService", "Application started")]
    public async Task Project_StopsGracefully_WhenTheAppHostProcessEnds(string project, string readyLine)
    {
        // Stands in for the AppHost: any process whose end the worker can observe.
        using var appHost = Process.Start(new ProcessStartInfo("sleep", "600") { UseShellExecute = false })!;
        var lines = new ConcurrentQueue<string>();
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(WorkerProcess.ProjectAssemblyPath(project));
        if (project == "Workers")
        {
            start.ArgumentList.Add("--queues");
            start.ArgumentList.Add("orchestrator_lifetime_test");
        }

        start.Environment["ConnectionStrings__rabbitmq"] = fixture.RabbitMqConnectionString;
        start.Environment["ConnectionStrings__redis"] = fixture.RedisConnectionString;
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["ONBOARDING_APPHOST_PID"] = appHost.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // As the AppHost sets them, with the dashboard (the OTLP endpoint) already gone, as it is after Ctrl+C.
        start.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{ClosedPort()}";
        start.Environment["OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY"] = "in_memory";
        start.Environment["OTEL_BSP_SCHEDULE_DELAY"] = "1000";
        start.Environment["OTEL_BLRP_SCHEDULE_DELAY"] = "1000";
        start.Environment["OTEL_METRIC_EXPORT_INTERVAL"] = "1000";
        using var worker = Process.Start(start)!;
        worker.OutputDataReceived += (_, e) => { if (e.Data is not null) { lines.Enqueue(e.Data); } };
        worker.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lines.Enqueue(e.Data); } };
        worker.BeginOutputReadLine();
        worker.BeginErrorReadLine();
        try
        {
            await Eventually.UntilAsync(() => lines.Any(l => l.Contains(readyLine, StringComparison.Ordinal)) || worker.HasExited,
                TestTimeouts.StartAndHealthy, TestContext.Current.CancellationToken);
            Assert.False(worker.HasExited, string.Join('\n', lines));

            appHost.Kill();
            var stopwatch = Stopwatch.StartNew();
            await worker.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TestTimeouts.Stop, TestContext.Current.CancellationToken);
            var output = $"exited {stopwatch.Elapsed.TotalSeconds:F1} s after the AppHost:\n" + string.Join('\n', lines);
            Assert.True(worker.ExitCode == 0, output);
            Assert.True(lines.Any(l => l.Contains($"The AppHost (process {appHost.Id}) has ended; stopping", StringComparison.Ordinal)), output);
            TestContext.Current.TestOutputHelper?.WriteLine(output);
        }
        finally
        {
            if (!worker.HasExited)
            {
                worker.Kill(entireProcessTree: true);
            }

            if (!appHost.HasExited)
            {
                appHost.Kill();
            }
        }
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
