using Onboarding.Contracts.Events;
using Onboarding.Contracts;
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
    .WithDefaultRoutes(TaskRoutes.Seed)
    .AddEventHandler<UserDeleted, RevokePendingTasksOnUserDeleted>(UserEventTypes.Deleted);

// Problem details for every error, JSON errors naming the field, ids checked, the OpenAPI document (ServiceDefaults).
builder.AddHttpApiDefaults();

builder.Services.AddSingleton<RedisUserStore>();
builder.Services.AddSingleton<IOnboardingWorkflow, OnboardingWorkflow>();
builder.Services.AddSingleton<IUserEventPublisher, EngineUserEvents>();

var app = builder.Build();

app.UseHttpApiDefaults();
app.MapUsersApi();
app.MapStatsApi();
app.MapDefaultEndpoints();

app.Run();
