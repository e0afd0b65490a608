using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Onboarding.TaskEngine.RabbitMq;

/// <summary>
/// Holds the host's start until the broker accepts a connection, logging one line per failed attempt.
/// </summary>
/// <remarks>
/// The Aspire RabbitMQ client opens its <see cref="IConnection"/> when the host resolves its hosted services, retries
/// five times, then throws: the host failed to start with a 60-line <c>BrokerUnreachableException</c> and the process
/// died, where a worker started before its broker (a deployment, a restart, a typo in the port) should wait.
/// The host resolves hosted services only after <see cref="IHostLifetime.WaitForStartAsync"/>, so waiting here, as a
/// wrapper around the host's own lifetime, happens before anything asks for the connection; Ctrl+C still works
/// because the inner lifetime has registered its signal handlers first and the token ends the wait.
/// </remarks>
internal sealed partial class BrokerStartGate(
    IHostLifetime inner,
    IConnectionFactory connectionFactory,
    TimeProvider timeProvider,
    ILogger<BrokerStartGate> logger) : IHostLifetime
{
    internal static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);
    internal static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(15);

    public async Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        await inner.WaitForStartAsync(cancellationToken).ConfigureAwait(false);
        var delay = FirstDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // A probe: the client integration opens the connection the application uses right after this.
                await using var connection = await connectionFactory.CreateConnectionAsync("onboarding-start-probe", cancellationToken)
                    .ConfigureAwait(false);
                if (attempt > 1)
                {
                    BrokerReachable(logger, Endpoint(), attempt);
                }

                return;
            }
            catch (BrokerUnreachableException ex) when (!cancellationToken.IsCancellationRequested)
            {
                // The message of the innermost exception ("Connection refused", "ACCESS_REFUSED - Login was refused …")
                // is what an operator can act on; the exception itself would print the client's whole stack.
                BrokerUnreachable(logger, Endpoint(), Innermost(ex).Message, attempt, delay);
            }

            await Task.Delay(delay, timeProvider, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => inner.StopAsync(cancellationToken);

    /// <summary>
    /// Wraps the registered <see cref="IHostLifetime"/> (the console lifetime, or systemd's, or a test's) in the gate.
    /// </summary>
    internal static void Register(IServiceCollection services)
    {
        var innerDescriptor = services.LastOrDefault(d => d.ServiceType == typeof(IHostLifetime) && !d.IsKeyedService);
        if (innerDescriptor is null || innerDescriptor.ImplementationType == typeof(BrokerStartGate))
        {
            return;
        }

        services.Add(ServiceDescriptor.Singleton<IHostLifetime>(sp => new BrokerStartGate(
            CreateInner(sp, innerDescriptor),
            sp.GetRequiredService<IConnectionFactory>(),
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            sp.GetRequiredService<ILogger<BrokerStartGate>>())));
    }

    private static IHostLifetime CreateInner(IServiceProvider services, ServiceDescriptor descriptor) =>
        (IHostLifetime)(descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!));

    private string Endpoint() => connectionFactory is ConnectionFactory factory ? $"{factory.HostName}:{factory.Port}" : "the broker";

    private static Exception Innermost(Exception exception)
    {
        while (exception.InnerException is { } inner)
        {
            exception = inner;
        }

        return exception;
    }

    [LoggerMessage(111, LogLevel.Warning, "RabbitMQ at {Endpoint} is not reachable ({Reason}); attempt {Attempt}, next in {Delay}")]
    private static partial void BrokerUnreachable(ILogger logger, string endpoint, string reason, int attempt, TimeSpan delay);

    [LoggerMessage(112, LogLevel.Information, "RabbitMQ at {Endpoint} answered after {Attempts} attempts; starting")]
    private static partial void BrokerReachable(ILogger logger, string endpoint, int attempts);
}
