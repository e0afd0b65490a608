using Onboarding.OperationsConsole.DeadLetters;
using Onboarding.OperationsConsole.Queues;
using Onboarding.OperationsConsole.Schedules;

namespace Onboarding.OperationsConsole;

/// <summary>The broker-side pages' services: queues, dead letters and periodic tasks.</summary>
internal static class ConsoleOperationsExtensions
{
    public static IServiceCollection AddConsoleOperations(this IServiceCollection services)
    {
        services.AddHttpClient<RabbitMqManagementClient>(http => http.Timeout = TimeSpan.FromSeconds(5));
        services.AddScoped<QueueMonitor>();
        services.AddSingleton<DeadLetterActions>();
        services.AddSingleton<ScheduleActions>();
        return services;
    }
}
