var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();

// Aspire client integrations: the connection strings come from the AppHost, and each adds a health check,
// so this service's /health reports RabbitMQ and Redis.
builder.AddRabbitMQClient("rabbitmq");
builder.AddRedisClient("redis");

builder.Services.AddProblemDetails();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapDefaultEndpoints();

app.Run();
