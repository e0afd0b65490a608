using System.Diagnostics;

namespace Onboarding.Benchmarks;

/// <summary>Runs the workloads in a child process of this program, against servers this process orchestrates.</summary>
internal static class MeasuringProcess
{
    /// <summary>Tells the child where its servers came from, for the report.</summary>
    public const string SourceVariable = "ONBOARDING_BENCH_SOURCE";

    public static async Task<int> RunAsync(string[] args, BenchmarkInfrastructure infrastructure, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet")
        {
            start.ArgumentList.Add(typeof(MeasuringProcess).Assembly.Location);
        }

        foreach (var argument in args)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ONBOARDING_BENCH_RABBITMQ"] = infrastructure.RabbitMqConnectionString;
        start.Environment["ONBOARDING_BENCH_REDIS"] = infrastructure.RedisConnectionString;
        start.Environment[SourceVariable] = infrastructure.Source + ", workloads in a separate process";
        // The cluster rows ask this process for a three-node cluster when they come, and hand it back when done.
        await using var cluster = new ClusterPipe.Server(Console.Error);
        start.Environment[ClusterPipe.NameVariable] = cluster.Name;
        using var child = Process.Start(start) ?? throw new InvalidOperationException("The measuring process did not start.");
        try
        {
            await child.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            child.Kill(entireProcessTree: true);
            throw;
        }

        return child.ExitCode;
    }
}
