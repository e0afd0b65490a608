using Onboarding.Workers;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddCommandLine(WorkerCommandLine.Normalize(args), WorkerCommandLine.SwitchMappings);

builder.AddServiceDefaults();

// The engine adds the Aspire RabbitMQ and Redis clients ("rabbitmq", "redis"), whose health checks /health reports.
// AddTaskWorker consumes Worker:Queues with Worker:Concurrency, registers the diagnostics tasks, and with --beat
// (Worker:Beat) runs the periodic task scheduler for TaskEngine:Schedules (one replica fires each tick).
builder.AddTaskEngine("rabbitmq", "redis")
    .AddTaskWorker();

var app = builder.Build();

// A web host only for /health and /alive: the AppHost and container platforms probe workers like services.
app.MapDefaultEndpoints();

app.Run();
