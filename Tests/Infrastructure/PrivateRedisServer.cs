using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Onboarding.Tests.Infrastructure;

/// <summary>
/// A redis-server of the test's own (Debian's binary, loopback, a free port, a data folder of its own) that the test
/// can stop and start again on the same port with the same data, as an operator restarting Redis would. Append-only
/// file with fsync on every write, so what was stored before a stop is there after the start.
/// </summary>
internal sealed class PrivateRedisServer : IAsyncDisposable
{
    private readonly string _directory;
    private Process? _process;

    private PrivateRedisServer(int port, string directory)
    {
        Port = port;
        _directory = directory;
    }

    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string for it.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>A server on a free port that nobody listens on yet, not started.</summary>
    public static PrivateRedisServer Create()
    {
        var directory = Directory.CreateTempSubdirectory("onboarding-redis-").FullName;
        return new PrivateRedisServer(FreePort(), directory);
    }

    public static async Task<PrivateRedisServer> StartNewAsync(CancellationToken cancellationToken)
    {
        var server = Create();
        await server.StartAsync(cancellationToken);
        return server;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("redis-server")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])[
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--dir", _directory, "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no"])
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        process.OutputDataReceived += static (_, _) => { };
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await Eventually.UntilAsync(AnswersAsync, TestTimeouts.Operation, cancellationToken);
    }

    /// <summary>Stops the server at once (SIGKILL: no goodbye to clients), keeping its data folder.</summary>
    public async Task StopAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            if (!process.HasExited)
            {
                process.Kill();
            }

            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TestTimeouts.Operation);
            process.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }

    private async Task<bool> AnswersAsync()
    {
        if (_process is not { HasExited: false })
        {
            throw new InvalidOperationException("redis-server exited at start.");
        }

        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer);
            // +PONG once the data is loaded (-LOADING before).
            return read >= 5 && buffer[0] == (byte)'+';
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
