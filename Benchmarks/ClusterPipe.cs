using System.IO.Pipes;

namespace Onboarding.Benchmarks;

/// <summary>
/// How the measuring process asks the orchestrating process for the three-node cluster: a pipe (a Unix socket only
/// this user may open) carrying one request line and one reply line at a time. The parent starts the cluster when the
/// first cluster row asks and stops it when the child is done with it, so the idle nodes neither run during the other
/// rows nor put an orchestrator into the process that measures.
/// </summary>
internal static class ClusterPipe
{
    /// <summary>Tells the child the pipe's name.</summary>
    public const string NameVariable = "ONBOARDING_BENCH_CLUSTER_PIPE";

    public const string Start = "start";
    public const string Leader = "leader";
    public const string Stop = "stop";

    private const char Separator = '\t';
    private const string Ok = "ok";
    private const PipeOptions Options = PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly;

    /// <summary>The parent's end: serves the child's requests until disposed, then stops a cluster still running.</summary>
    public sealed class Server : IAsyncDisposable
    {
        private readonly NamedPipeServerStream _pipe;
        private readonly CancellationTokenSource _stopping = new();
        private readonly TextWriter _log;
        private readonly Task _serving;
        private BenchmarkInfrastructure? _cluster;

        public Server(TextWriter log)
        {
            _log = log;
            Name = FormattableString.Invariant($"onboarding-bench-{Environment.ProcessId}");
            _pipe = new NamedPipeServerStream(Name, PipeDirection.InOut, 1, PipeTransmissionMode.Byte, Options);
            _serving = ServeAsync(_stopping.Token);
        }

        public string Name { get; }

        private async Task ServeAsync(CancellationToken cancellationToken)
        {
            await _pipe.WaitForConnectionAsync(cancellationToken).ConfigureAwait(false);
            using var reader = new StreamReader(_pipe, leaveOpen: true);
            await using var writer = new StreamWriter(_pipe, leaveOpen: true) { AutoFlush = true, NewLine = "\n" };
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } request)
            {
                string reply;
                try
                {
                    reply = Ok + Separator + await AnswerAsync(request.Split(Separator), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    reply = "error" + Separator + ex.Message.ReplaceLineEndings(" ");
                }

                await writer.WriteLineAsync(reply.AsMemory(), cancellationToken).ConfigureAwait(false);
            }
        }

        private async Task<string> AnswerAsync(string[] request, CancellationToken cancellationToken)
        {
            switch (request[0])
            {
                case Start:
                    _cluster ??= await BenchmarkInfrastructure.StartClusterAsync(_log, cancellationToken).ConfigureAwait(false);
                    return string.Join(Separator, _cluster.RabbitMqConnectionString, _cluster.RedisConnectionString, _cluster.Source);
                case Leader when request.Length == 2:
                    return await (_cluster ?? throw new InvalidOperationException("No cluster is running.")).QueueLeaderAsync(request[1], cancellationToken).ConfigureAwait(false) ?? string.Empty;
                case Stop:
                    await StopClusterAsync().ConfigureAwait(false);
                    return string.Empty;
                default:
                    throw new InvalidOperationException($"'{string.Join(' ', request)}' is no request the benchmark's parent process answers.");
            }
        }

        private async Task StopClusterAsync()
        {
            if (_cluster is { } cluster)
            {
                _cluster = null;
                await _log.WriteLineAsync("Stopping the three-node cluster ...").ConfigureAwait(false);
                await cluster.DisposeAsync().ConfigureAwait(false);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
            try
            {
                await _serving.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
                // The child is gone; so is the conversation.
            }

            await _pipe.DisposeAsync().ConfigureAwait(false);
            await StopClusterAsync().ConfigureAwait(false);
            _stopping.Dispose();
        }
    }

    /// <summary>The child's end.</summary>
    public sealed class Client : IAsyncDisposable
    {
        private readonly NamedPipeClientStream _pipe;
        private readonly StreamReader _reader;
        private readonly StreamWriter _writer;

        private Client(NamedPipeClientStream pipe)
        {
            _pipe = pipe;
            _reader = new StreamReader(pipe, leaveOpen: true);
            _writer = new StreamWriter(pipe, leaveOpen: true) { AutoFlush = true, NewLine = "\n" };
        }

        public static async Task<Client> ConnectAsync(string name, CancellationToken cancellationToken)
        {
            var pipe = new NamedPipeClientStream(".", name, PipeDirection.InOut, Options);
            try
            {
                await pipe.ConnectAsync(30_000, cancellationToken).ConfigureAwait(false);
                return new Client(pipe);
            }
            catch
            {
                await pipe.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        /// <summary>Sends one request and returns the reply's fields; the parent's failure becomes ours.</summary>
        public async Task<string[]> AskAsync(CancellationToken cancellationToken, params string[] request)
        {
            await _writer.WriteLineAsync(string.Join(Separator, request).AsMemory(), cancellationToken).ConfigureAwait(false);
            var reply = (await _reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("The benchmark's parent process closed the cluster pipe.")).Split(Separator);
            return reply[0] == Ok
                ? reply[1..]
                : throw new InvalidOperationException($"The benchmark's parent process could not {request[0]}: {string.Join(' ', reply[1..])}");
        }

        public async ValueTask DisposeAsync()
        {
            _reader.Dispose();
            await _writer.DisposeAsync().ConfigureAwait(false);
            await _pipe.DisposeAsync().ConfigureAwait(false);
        }
    }
}
