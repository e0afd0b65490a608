using RabbitMQ.Client;

namespace Onboarding.TaskEngine.RabbitMq;

/// <summary>Declares the events topic exchange (durable, idempotent).</summary>
internal static class EventTopology
{
    public static Task DeclareExchangeAsync(IChannel channel, string exchange, CancellationToken cancellationToken) =>
        channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: cancellationToken);
}
