using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Events;
using Onboarding.TaskEngine.RabbitMq;
using Onboarding.TaskEngine.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>Event publishing and subscriptions on the task engine.</summary>
public static class EventHostingExtensions
{
    /// <summary>
    /// Subscribes <typeparamref name="THandler"/> to <paramref name="eventType"/> (an AMQP topic pattern:
    /// <c>user.created</c>, <c>user.*</c>, <c>user.#</c>). The service's queue <c>&lt;subscriber&gt;.events</c> is bound
    /// to the pattern; the handler is resolved from a DI scope per event. Subscriber name: <c>TaskEngine:Events:Subscriber</c>,
    /// else the application name.
    /// </summary>
    public static ITaskEngineBuilder AddEventHandler<TEvent, THandler>(this ITaskEngineBuilder builder, string eventType)
        where THandler : class, IEventHandler<TEvent>
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(eventType);
        var services = builder.Services;
        services.AddTaskEngineEvents();
        var subscriptions = services.FirstOrDefault(d => d.ServiceType == typeof(EventSubscriptions))?.ImplementationInstance as EventSubscriptions;
        if (subscriptions is null)
        {
            subscriptions = new EventSubscriptions();
            services.AddSingleton(subscriptions);
            services.TryAddSingleton<IEventSource, RabbitMqEventSource>();
            services.TryAddSingleton<IEventClaims, RedisEventClaims>();
            services.AddSingleton<EventConsumerService>();
            services.AddHostedService(sp => sp.GetRequiredService<EventConsumerService>());
        }

        subscriptions.Add(EventSubscription.Create<TEvent, THandler>(eventType));
        services.TryAddScoped<THandler>();
        return builder;
    }

    /// <summary>
    /// Registers <see cref="IEventPublisher"/> and <see cref="EventOptions"/> (<c>TaskEngine:Events</c>); called by
    /// <c>AddTaskEngine</c>. Idempotent.
    /// </summary>
    internal static IServiceCollection AddTaskEngineEvents(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(IEventPublisher)))
        {
            return services;
        }

        services.AddOptions<EventOptions>()
            .BindConfiguration(EventOptions.SectionName)
            .PostConfigure<IHostEnvironment>((options, environment) =>
            {
                options.Subscriber ??= environment.ApplicationName.ToLowerInvariant();
                options.SourceService ??= options.Subscriber;
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IEventPublisher, RabbitMqEventPublisher>();
        return services;
    }
}
