using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Onboarding.TaskEngine.Control;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Monitoring;
using Onboarding.TaskEngine.RabbitMq;

namespace Microsoft.Extensions.Hosting;

/// <summary>Registers the operations API (remote control and the event stream) on a task engine.</summary>
public static class WorkerControlExtensions
{
    /// <summary>
    /// Adds <see cref="IWorkerControl"/> (Celery's <c>inspect</c>/<c>control</c> against the whole fleet) and
    /// <see cref="ICeleryEventReader"/> (Celery's event stream) on the engine's RabbitMQ connection. Any service may
    /// call it; workers answer remote control and send events without it.
    /// </summary>
    public static ITaskEngineBuilder AddWorkerControl(this ITaskEngineBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<RabbitMqMailbox>();
        builder.Services.TryAddSingleton<IMailbox>(sp => sp.GetRequiredService<RabbitMqMailbox>());
        builder.Services.TryAddSingleton<RabbitMqEventTransport>();
        builder.Services.TryAddSingleton<ICeleryEventTransport>(sp => sp.GetRequiredService<RabbitMqEventTransport>());
        builder.Services.TryAddSingleton<WorkerControlClient>();
        builder.Services.TryAddSingleton<IWorkerControl>(sp => sp.GetRequiredService<WorkerControlClient>());
        builder.Services.TryAddSingleton<ICeleryEventReader, CeleryEventReader>();
        return builder;
    }
}
