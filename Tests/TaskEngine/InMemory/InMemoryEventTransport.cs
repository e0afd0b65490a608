using System.Threading.Channels;
using Onboarding.TaskEngine.Monitoring;

namespace Onboarding.Tests.TaskEngine.InMemory;

/// <summary>Celery's event stream in memory, for unit tests only: every published body reaches every open receiver.</summary>
internal sealed class InMemoryEventTransport : ICeleryEventTransport
{
    private readonly Lock _gate = new();
    private readonly List<Receiver> _receivers = [];

    public Task PublishAsync(string hostname, string routingKey, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            foreach (var receiver in _receivers)
            {
                if (receiver.RoutingKey == "#" || receiver.RoutingKey == routingKey)
                {
                    receiver.Sink.TryWrite(body.ToArray());
                }
            }
        }

        return Task.CompletedTask;
    }

    public Task<IEventReceiver> ReceiveAsync(string routingKey, ChannelWriter<ReadOnlyMemory<byte>> sink, CancellationToken cancellationToken)
    {
        var receiver = new Receiver(this, routingKey, sink);
        lock (_gate)
        {
            _receivers.Add(receiver);
        }

        return Task.FromResult<IEventReceiver>(receiver);
    }

    public bool IsUnavailable(Exception exception) => false;

    private sealed class Receiver(InMemoryEventTransport transport, string routingKey, ChannelWriter<ReadOnlyMemory<byte>> sink) : IEventReceiver
    {
        public string RoutingKey => routingKey;

        public ChannelWriter<ReadOnlyMemory<byte>> Sink => sink;

        public bool IsOpen { get; private set; } = true;

        public ValueTask DisposeAsync()
        {
            lock (transport._gate)
            {
                transport._receivers.Remove(this);
            }

            IsOpen = false;
            return ValueTask.CompletedTask;
        }
    }
}
