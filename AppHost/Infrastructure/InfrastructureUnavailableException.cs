namespace Onboarding.AppHost.Infrastructure;

/// <summary>RabbitMQ and Redis cannot be provided the way the configuration asks; the message says how to fix it.</summary>
internal sealed class InfrastructureUnavailableException(string message) : Exception(message);
