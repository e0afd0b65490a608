namespace Onboarding.AppHost.Infrastructure;

/// <summary>How the AppHost provides RabbitMQ and Redis (configuration <c>Infrastructure:Mode</c>).</summary>
internal enum InfrastructureMode
{
    /// <summary>Containers when a container runtime answers, else the machine's servers when installed.</summary>
    Auto,

    /// <summary>The stock RabbitMQ and Redis containers.</summary>
    Containers,

    /// <summary>The machine's own <c>rabbitmq-server</c> and <c>redis-server</c>, run as Aspire executables.</summary>
    Executables,
}
