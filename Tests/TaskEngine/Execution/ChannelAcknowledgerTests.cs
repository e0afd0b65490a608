using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Onboarding.TaskEngine.RabbitMq;
using Onboarding.Tests.Infrastructure;
using RabbitMQ.Client;

namespace Onboarding.Tests.TaskEngine.Execution;

public sealed class ChannelAcknowledgerTests
{
    // Eight slots finish deliveries in any order while the consumer records new ones, as in the worker: every delivery
    // must end up covered by an ack (a multiple-ack at or above it, or its single), or the broker stops delivering
    // once the prefetch window is full of finished but unacked tasks.
    [Fact]
    public async Task AckAsync_AcksEveryDelivery_WhenSlotsFinishConcurrently()
    {
        var channel = RecordingChannel.Create(out var recorder);
        var acks = new ChannelAcknowledger(channel, batch: 8, NullLogger.Instance);
        const int count = 4003;
        var work = new BlockingCollection<ulong>();
        var cancellationToken = TestContext.Current.CancellationToken;
        var producer = Task.Run(() =>
        {
            for (ulong tag = 1; tag <= count; tag++)
            {
                acks.Delivered(tag);
                work.Add(tag);
            }

            work.CompleteAdding();
        }, cancellationToken);
        var slots = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            foreach (var tag in work.GetConsumingEnumerable(cancellationToken))
            {
                if (Random.Shared.Next(4) == 0)
                {
                    await Task.Yield();
                }

                await acks.AckAsync(tag);
            }
        }, cancellationToken)).ToArray();
        await producer;
        await Task.WhenAll(slots);

        await Eventually.UntilAsync(() => recorder.Covered(count), TimeSpan.FromSeconds(10), cancellationToken);
    }

    [Fact]
    public async Task AckAsync_AcksWithinTheDelay_WhenFewerThanABatchWait()
    {
        var channel = RecordingChannel.Create(out var recorder);
        var acks = new ChannelAcknowledger(channel, batch: 8, NullLogger.Instance);
        for (ulong tag = 1; tag <= 3; tag++)
        {
            acks.Delivered(tag);
        }

        await acks.AckAsync(2);
        await acks.AckAsync(1);

        await Eventually.UntilAsync(() => recorder.Covered(2), TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.False(recorder.Covered(3));
    }

    // Nobody awaits the delayed flush: a failure there must be seen in the log, not vanish with the acks it took.
    [Fact]
    public async Task AckAsync_LogsTheFailure_WhenTheDelayedFlushCannotSend()
    {
        var channel = DispatchProxy.Create<IChannel, FailingChannel>();
        var logger = new ErrorCounter();
        var acks = new ChannelAcknowledger(channel, batch: 8, logger);
        acks.Delivered(1);

        await acks.AckAsync(1);

        await Eventually.UntilAsync(() => logger.Errors > 0, TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    internal sealed class Recorder
    {
        private readonly Lock _gate = new();
        private readonly HashSet<ulong> _singles = [];
        private ulong _multiple;

        public void Ack(ulong tag, bool multiple)
        {
            lock (_gate)
            {
                if (multiple)
                {
                    _multiple = Math.Max(_multiple, tag);
                }
                else
                {
                    _singles.Add(tag);
                }
            }
        }

        public bool Covered(int count)
        {
            lock (_gate)
            {
                for (ulong tag = 1; tag <= (ulong)count; tag++)
                {
                    if (tag > _multiple && !_singles.Contains(tag))
                    {
                        return false;
                    }
                }

                return true;
            }
        }
    }

    public class RecordingChannel : DispatchProxy
    {
        internal Recorder Recorder { get; private set; } = new();

        internal static IChannel Create(out Recorder recorder)
        {
            var channel = Create<IChannel, RecordingChannel>();
            recorder = ((RecordingChannel)(object)channel).Recorder;
            return channel;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod?.Name == nameof(IChannel.BasicAckAsync))
            {
                Recorder.Ack((ulong)args![0]!, (bool)args[1]!);
                return Random.Shared.Next(3) == 0 ? new ValueTask(Task.Delay(1)) : ValueTask.CompletedTask;
            }

            throw new NotSupportedException(targetMethod?.Name);
        }
    }

    public class FailingChannel : DispatchProxy
    {
        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod?.Name == nameof(IChannel.BasicAckAsync)
                ? ValueTask.FromException(new InvalidOperationException("the frame writer refused"))
                : throw new NotSupportedException(targetMethod?.Name);
    }

    private sealed class ErrorCounter : ILogger
    {
        private int _errors;

        public int Errors => Volatile.Read(ref _errors);

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Error && exception is InvalidOperationException)
            {
                Interlocked.Increment(ref _errors);
            }
        }
    }
}
