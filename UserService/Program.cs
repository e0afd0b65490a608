using Onboarding.UserService.Apis;
using Onboarding.UserService.Events;
using Onboarding.UserService.Infrastructure;
using Onboarding.UserService.Workflows;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();

// The engine adds the Aspire RabbitMQ and Redis clients ("rabbitmq", "redis"), whose health checks /health reports;
// this service only sends tasks and reads their results, so it adds no worker.
builder.AddTaskEngine("rabbitmq", "redis");

builder.Services.AddProblemDetails();
builder.Services.AddOpenApi();
// Malformed JSON and unbindable parameters answer 400 (as problem details, through the status-code pages) in
// every environment instead of throwing in Development.
builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = false);

builder.Services.AddSingleton<RedisUserStore>();
builder.Services.AddSingleton<IOnboardingWorkflow, OnboardingWorkflow>();
builder.Services.AddSingleton<IUserEventPublisher, UnpublishedUserEvents>();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapOpenApi();
app.MapUsersApi();
app.MapStatsApi();
app.MapDefaultEndpoints();

app.Run();
