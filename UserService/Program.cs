using Onboarding.Contracts.Events;
using Onboarding.UserService.Apis;
using Onboarding.UserService.EventHandlers;
using Onboarding.UserService.Events;
using Onboarding.UserService.Infrastructure;
using Onboarding.UserService.Workflows;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();

// The engine adds the Aspire RabbitMQ and Redis clients ("rabbitmq", "redis"), whose health checks /health reports;
// this service sends tasks and reads their results (no worker), publishes the user events and subscribes to
// user.deleted to revoke the user's unfinished tasks.
builder.AddTaskEngine("rabbitmq", "redis")
    .AddEventHandler<UserDeleted, RevokePendingTasksOnUserDeleted>(UserEventTypes.Deleted);

builder.Services.AddProblemDetails();
builder.Services.AddOpenApi();
// Malformed JSON and unbindable parameters answer 400 (as problem details, through the status-code pages) in
// every environment instead of throwing in Development.
builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = false);

builder.Services.AddSingleton<RedisUserStore>();
builder.Services.AddSingleton<IOnboardingWorkflow, OnboardingWorkflow>();
builder.Services.AddSingleton<IUserEventPublisher, EngineUserEvents>();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapOpenApi();
app.MapUsersApi();
app.MapStatsApi();
app.MapDefaultEndpoints();

app.Run();
