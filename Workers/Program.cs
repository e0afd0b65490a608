using Onboarding.Workers;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddCommandLine(args, WorkerCommandLine.SwitchMappings);

builder.AddServiceDefaults();

builder.AddRabbitMQClient("rabbitmq");
builder.AddRedisClient("redis");

var app = builder.Build();

// A web host only for /health and /alive: the AppHost and container platforms probe workers like services.
app.MapDefaultEndpoints();

app.Run();
