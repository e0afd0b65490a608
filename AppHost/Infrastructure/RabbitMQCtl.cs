using System.Diagnostics;

namespace Onboarding.AppHost.Infrastructure;

/// <summary>Runs the machine's <c>rabbitmqctl</c> against one local node.</summary>
internal static class RabbitMQCtl
{
    // rabbitmqctl starts an Erlang VM each time; on a loaded 2-core machine that alone takes seconds.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Returns standard output; throws <see cref="InvalidOperationException"/> with its error output when it fails.</summary>
    public static async Task<string> RunAsync(string rabbitMQCtlPath, RabbitMQExecutableResource node, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(rabbitMQCtlPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-n");
        start.ArgumentList.Add(node.NodeName);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // rabbitmqctl authenticates with the Erlang cookie in the node's HOME.
        start.Environment["HOME"] = node.WorkingDirectory;

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("rabbitmqctl did not start.");
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var error = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"rabbitmqctl failed: {(await error).Trim()}");
            }

            return await output;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"rabbitmqctl did not answer within {Timeout.TotalSeconds:0} s.");
        }
    }
}
