using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Onboarding.TaskEngine.Monitoring;
using Onboarding.Tests.Infrastructure;

namespace Onboarding.Tests.TaskEngine.Operations;

/// <summary>
/// Monitoring never slows the work it watches: with a broker that takes no events at all, a task's thread still hands
/// its events over without waiting, and what does not fit the buffer is dropped and counted.
/// </summary>
public sealed class EventDispatcherTests
{
    [Fact]
    public async Task Send_ReturnsAtOnceAndCountsTheDropped_WhenTheBrokerTakesNoEvents()
    {
        var transport = new StuckTransport();
        var dispatcher = new EventDispatcher(transport, TimeProvider.System, NullLogger<EventDispatcher>.Instance) { TaskEventsEnabled = true };
        await dispatcher.StartAsync(TestContext.Current.CancellationToken);
        const int sent = 20_000;

        // On a thread of its own, as a task's: if Send waited for the broker, this would never finish.
        await Task.Run(() =>
        {
            for (var i = 0; i < sent; i++)
            {
                dispatcher.Send(CeleryEventTypes.TaskStarted, $"task-{i}", 0, null);
            }
        }, TestContext.Current.CancellationToken).WaitAsync(TestTimeouts.Operation, TestContext.Current.CancellationToken);
        await transport.FirstPublish.Task.WaitAsync(TestTimeouts.Operation, TestContext.Current.CancellationToken);

        // The publishing loop holds at most one batch; the buffer holds the rest up to its capacity; the remainder is dropped.
        Assert.True(dispatcher.Dropped >= sent - 16_384 - EventDispatcher.BatchLimit, $"dropped {dispatcher.Dropped}");
        Assert.Equal(0, dispatcher.Published);
        await dispatcher.DisposeAsync();
    }

    /// <summary>A broker that accepts the publish and never confirms it (blocked by a memory alarm, say).</summary>
    private sealed class StuckTransport : ICeleryEventTransport
    {
        public TaskCompletionSource FirstPublish { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task PublishAsync(string hostname, string routingKey, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
        {
            FirstPublish.TrySetResult();
            return Task.Delay(Timeout.Infinite, cancellationToken);
        }

        public Task<IEventReceiver> ReceiveAsync(string routingKey, ChannelWriter<ReadOnlyMemory<byte>> sink, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public bool IsUnavailable(Exception exception) => false;
    }
}
