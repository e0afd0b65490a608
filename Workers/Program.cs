using Onboarding.Workers;
using Onboarding.Workers.Clients;
using Onboarding.Workers.Schedules;
using Onboarding.Workers.Tasks;
using Onboarding.Workers.Tasks.Users;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddCommandLine(WorkerCommandLine.Normalize(args), WorkerCommandLine.SwitchMappings);

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
    .AddTaskWorker()
    .AddOnboardingTasks()
    .AddOrderTasks()
    .AddNotificationTasks()
    .AddOnboardingSchedules(builder.Configuration);

var app = builder.Build();

// A web host only for /health and /alive: the AppHost and container platforms probe workers like services.
app.MapDefaultEndpoints();

app.Run();
