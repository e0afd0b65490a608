using Onboarding.Contracts;
using Onboarding.Workers;
using Onboarding.Workers.Clients;
using Onboarding.Workers.Schedules;
using Onboarding.Workers.Tasks;
using Onboarding.Workers.Tasks.Users;

// --help and usage errors answer before the host exists, so neither connects to anything.
var commandLine = WorkerCommandLine.Parse(args, Console.Out, Console.Error);
if (commandLine.ExitCode is { } exitCode)
{
    return exitCode;
}

var builder = WebApplication.CreateBuilder([.. commandLine.HostArguments]);
builder.Configuration.AddInMemoryCollection(commandLine.Configuration);

builder.AddServiceDefaults();

// Tasks change the services' data through their APIs: typed clients over service discovery, each with the standard
// resilience handler from the service defaults.
builder.Services.AddHttpClient<UserServiceClient>(c => c.BaseAddress = new Uri("http://userservice"));
builder.Services.AddHttpClient<OrderServiceClient>(c => c.BaseAddress = new Uri("http://orderservice"));
builder.Services.AddHttpClient<NotificationServiceClient>(c => c.BaseAddress = new Uri("http://notificationservice"));
builder.Services.AddOptions<OnboardingTaskOptions>().BindConfiguration(OnboardingTaskOptions.SectionName)
    .ValidateDataAnnotations().ValidateOnStart();

// The engine adds the Aspire RabbitMQ and Redis clients ("rabbitmq", "redis"), whose health checks /health reports.
// AddTaskWorker consumes Worker:Queues with Worker:Concurrency and registers the diagnostics tasks; with --beat
// (Worker:Beat) it also runs the periodic task scheduler for TaskEngine:Schedules (one replica fires each tick).
// Every worker knows every task; its queues decide which it runs.
builder.AddTaskEngine("rabbitmq", "redis")
    .WithDefaultRoutes(TaskRoutes.Seed)
    .AddTaskWorker()
    .AddOnboardingTasks()
    .AddOrderTasks()
    .AddNotificationTasks()
    .AddOnboardingSchedules(builder.Configuration);

var app = builder.Build();

// A web host only for /health and /alive: the AppHost and container platforms probe workers like services.
app.MapDefaultEndpoints();

// Taken before running: RunAsync disposes the host's services before its exception reaches the filter below.
var stopping = app.Lifetime.ApplicationStopping;
try
{
    await app.RunAsync();
}
catch (OperationCanceledException) when (stopping.IsCancellationRequested)
{
    // Stopped (Ctrl+C, SIGTERM) while still waiting for the broker at start: nothing ran, nothing to report.
}

return 0;
