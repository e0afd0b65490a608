using Microsoft.AspNetCore.Http.HttpResults;
using Onboarding.Contracts.Events;
using Onboarding.Contracts.Http;
using Onboarding.Contracts.Tasks;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Canvas;
using Onboarding.TaskEngine.Workflows;
using Onboarding.UserService.Application;
using Onboarding.UserService.Events;
using Onboarding.UserService.Infrastructure;
using Onboarding.UserService.Workflows;

namespace Onboarding.UserService.Apis;

/// <summary>The users resource: <c>/api/users</c>.</summary>
internal static class UsersApi
{
    private const int MaxPageSize = 100;

    public static RouteGroupBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/users").WithTags("Users");

        api.MapPost("/", CreateUserAsync).WithName("CreateUser")
            .WithSummary("Create a user and start the onboarding workflow");
        api.MapGet("/", ListUsersAsync).WithName("ListUsers").WithSummary("List users, oldest first");
        api.MapGet("/{id}", GetUserAsync).WithName("GetUser").WithSummary("Get a user");
        api.MapPut("/{id}", UpdateProfileAsync).WithName("UpdateUserProfile")
            .WithSummary("Update a user's profile and send update_user_profile");
        api.MapPost("/{id}/password", ChangePasswordAsync).WithName("ChangePassword").WithSummary("Change a user's password");
        api.MapPost("/login", LoginAsync).WithName("Login").WithSummary("Check credentials and record the login");
        api.MapDelete("/{id}", DeleteUserAsync).WithName("DeleteUser").WithSummary("Delete a user");
        api.MapGet("/{id}/onboarding", GetOnboardingAsync).WithName("GetOnboarding")
            .WithSummary("The state of each onboarding step");

        // Used by the onboarding tasks (Workers) over service discovery.
        api.MapPost("/{id}/onboarding/steps/{step}", CompleteStepAsync).WithName("CompleteOnboardingStep")
            .WithSummary("Record an onboarding step as done (idempotent); finalize_onboarding activates the user");
        api.MapPut("/{id}/role", AssignRoleAsync).WithName("AssignRole").WithSummary("Assign a role (idempotent)");

        return api;
    }

    public static async Task<Results<Accepted<UserCreatedResponse>, ValidationProblem, ProblemHttpResult>> CreateUserAsync(
        CreateUserRequest? request, [AsParameters] UserServices services, CancellationToken cancellationToken)
    {
        var errors = UserValidation.Validate(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var now = services.Time.GetUtcNow();
        var user = new User
        {
            Id = Guid.CreateVersion7(now).ToString(),
            Email = UserValidation.NormalizeEmail(request!.Email!),
            FirstName = request.FirstName!.Trim(),
            LastName = request.LastName!.Trim(),
            Phone = request.Phone?.Trim(),
            PasswordHash = PasswordHashing.Hash(request.Password!),
            CreatedAt = now,
            UpdatedAt = now,
        };
        if (!await services.Store.CreateAsync(user))
        {
            return Problem(StatusCodes.Status409Conflict, "Email already registered",
                $"A user with the email '{user.Email}' already exists.");
        }

        var started = await services.Onboarding.StartAsync(user, cancellationToken);
        user = await services.Store.UpdateAsync(user.Id, u => u with { OnboardingRootId = started.OnboardingId, OnboardingTasks = started.StepTasks }) ?? user;
        UserServiceLog.UserCreated(services.Logger, user.Id, started.OnboardingId);
        await services.Events.PublishAsync(UserEvents.Create(UserEventTypes.Created, user.Id,
            new UserCreated(user.Id, user.Email, user.FirstName, user.LastName), services.Time), cancellationToken);

        var statusUrl = $"/api/users/{user.Id}/onboarding";
        return TypedResults.Accepted(statusUrl, new UserCreatedResponse(user.ToResponse(), started.OnboardingId, statusUrl));
    }

    public static async Task<Results<Ok<UserListResponse>, ValidationProblem>> ListUsersAsync(
        [AsParameters] UserServices services, int? skip, int? take)
    {
        var (s, t) = (skip ?? 0, take ?? 20);
        if (s < 0 || t is < 1 or > MaxPageSize)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["paging"] = [$"skip must be 0 or more and take 1 to {MaxPageSize}."],
            });
        }

        var (users, total) = await services.Store.ListAsync(s, t);
        return TypedResults.Ok(new UserListResponse([.. users.Select(u => u.ToResponse())], total, s, t));
    }

    public static async Task<Results<Ok<UserResponse>, ProblemHttpResult>> GetUserAsync(
        string id, [AsParameters] UserServices services) =>
        await services.Store.GetAsync(id) is { } user ? TypedResults.Ok(user.ToResponse()) : UserNotFound(id);

    public static async Task<Results<Ok<ProfileUpdatedResponse>, ValidationProblem, ProblemHttpResult>> UpdateProfileAsync(
        string id, UpdateProfileRequest? request, [AsParameters] UserServices services, CancellationToken cancellationToken)
    {
        var errors = UserValidation.Validate(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (await services.Store.GetAsync(id) is not { } user)
        {
            return UserNotFound(id);
        }

        var changed = new List<string>();
        var updated = user;
        if (request!.FirstName?.Trim() is { } first && first != user.FirstName)
        {
            updated = updated with { FirstName = first };
            changed.Add("first_name");
        }

        if (request.LastName?.Trim() is { } last && last != user.LastName)
        {
            updated = updated with { LastName = last };
            changed.Add("last_name");
        }

        if (request.Phone?.Trim() is { } phone && phone != user.Phone)
        {
            updated = updated with { Phone = phone };
            changed.Add("phone");
        }

        if (changed.Count == 0)
        {
            return TypedResults.Ok(new ProfileUpdatedResponse(user.ToResponse(), [], null));
        }

        var now = services.Time.GetUtcNow();
        updated = await services.Store.UpdateAsync(id, u => u with
        {
            FirstName = updated.FirstName,
            LastName = updated.LastName,
            Phone = updated.Phone,
            UpdatedAt = now,
        }) ?? updated;
        var task = await services.Tasks.SendAsync(UserTasks.UpdateUserProfile, new UpdateUserProfileArgs(id, changed), cancellationToken: cancellationToken);
        await services.Events.PublishAsync(UserEvents.Create(UserEventTypes.Updated, id, new UserUpdated(id, changed), services.Time), cancellationToken);
        return TypedResults.Ok(new ProfileUpdatedResponse(updated.ToResponse(), changed, task.Id));
    }

    public static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> ChangePasswordAsync(
        string id, ChangePasswordRequest? request, [AsParameters] UserServices services, CancellationToken cancellationToken)
    {
        var errors = UserValidation.Validate(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (await services.Store.GetAsync(id) is not { } user)
        {
            return UserNotFound(id);
        }

        if (!PasswordHashing.Verify(request!.CurrentPassword!, user.PasswordHash))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Wrong password",
                detail: "The current password does not match.");
        }

        var now = services.Time.GetUtcNow();
        var hash = PasswordHashing.Hash(request.NewPassword!);
        await services.Store.UpdateAsync(id, u => u with { PasswordHash = hash, UpdatedAt = now });
        await services.Events.PublishAsync(UserEvents.Create(UserEventTypes.PasswordChanged, id,
            new UserPasswordChanged(id, user.Email, now), services.Time), cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<UserResponse>, ValidationProblem, ProblemHttpResult>> LoginAsync(
        LoginRequest? request, [AsParameters] UserServices services)
    {
        var errors = UserValidation.Validate(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var user = await services.Store.FindByEmailAsync(UserValidation.NormalizeEmail(request!.Email!));
        if (user is null || !PasswordHashing.Verify(request.Password!, user.PasswordHash))
        {
            if (user is not null)
            {
                UserServiceLog.LoginFailed(services.Logger, user.Id);
            }

            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Invalid credentials",
                detail: "The email or password is wrong.");
        }

        // Recorded on the user, not published: no service acts on a login (see UserEventTypes).
        var now = services.Time.GetUtcNow();
        user = await services.Store.UpdateAsync(user.Id, u => u with { LastLoginAt = now, LoginCount = u.LoginCount + 1 }) ?? user;
        return TypedResults.Ok(user.ToResponse());
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteUserAsync(
        string id, [AsParameters] UserServices services, CancellationToken cancellationToken)
    {
        if (await services.Store.DeleteAsync(id) is not { } user)
        {
            return UserNotFound(id);
        }

        UserServiceLog.UserDeleted(services.Logger, id);
        // The subscribers (GDPR clean-up in every service, revoke of pending tasks) act on this event.
        await services.Events.PublishAsync(UserEvents.Create(UserEventTypes.Deleted, id, new UserDeleted(id, user.Email, [.. user.OnboardingTasks.Values]), services.Time), cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<OnboardingStatusResponse>, ProblemHttpResult>> GetOnboardingAsync(
        string id, [AsParameters] UserServices services, CancellationToken cancellationToken)
    {
        if (await services.Store.GetAsync(id) is not { } user)
        {
            return UserNotFound(id);
        }

        // The workflow's status tree (IWorkflowStatusReader) holds every step, PENDING ones included.
        var states = new Dictionary<string, TaskState>(StringComparer.Ordinal);
        if (user.OnboardingRootId is { } rootId && await services.Status.GetAsync(rootId, cancellationToken) is { } tree)
        {
            Flatten(tree, states);
        }

        var steps = new List<OnboardingStepResponse>();
        foreach (var name in OnboardingSteps.All)
        {
            if (user.OnboardingTasks.TryGetValue(name, out var taskId))
            {
                var state = states.TryGetValue(taskId, out var known) ? known : TaskState.Pending;
                steps.Add(new OnboardingStepResponse(name, taskId, state.ToWireName()));
            }
        }

        // Re-read after the states: a step that just finished has changed the user before its state was stored.
        var status = (await services.Store.GetAsync(id))?.Status ?? user.Status;
        return TypedResults.Ok(new OnboardingStatusResponse(user.Id, status, OverallState(steps), steps));
    }

    public static async Task<Results<Ok<UserResponse>, ProblemHttpResult, ValidationProblem>> CompleteStepAsync(
        string id, string step, [AsParameters] UserServices services)
    {
        if (!OnboardingSteps.All.Contains(step, StringComparer.Ordinal))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["step"] = [$"Unknown step; one of: {string.Join(", ", OnboardingSteps.All)}."],
            });
        }

        var now = services.Time.GetUtcNow();
        var user = await services.Store.UpdateAsync(id, u => u.CompletedSteps.Contains(step, StringComparer.Ordinal)
            ? u
            : u with
            {
                CompletedSteps = [.. u.CompletedSteps, step],
                Status = step == WorkflowStepIds.StepName(UserTasks.FinalizeOnboarding) ? UserStatuses.Active : u.Status,
                UpdatedAt = now,
            });
        return user is null ? UserNotFound(id) : TypedResults.Ok(user.ToResponse());
    }

    public static async Task<Results<Ok<UserResponse>, ProblemHttpResult, ValidationProblem>> AssignRoleAsync(
        string id, AssignRoleRequest? request, [AsParameters] UserServices services)
    {
        var errors = UserValidation.Validate(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var role = request!.Role!;
        var now = services.Time.GetUtcNow();
        var user = await services.Store.UpdateAsync(id, u => u.Role == role ? u : u with { Role = role, UpdatedAt = now });
        return user is null ? UserNotFound(id) : TypedResults.Ok(user.ToResponse());
    }

    private static void Flatten(WorkflowNode node, Dictionary<string, TaskState> states)
    {
        states[node.Id] = node.State;
        foreach (var child in node.Children)
        {
            Flatten(child, states);
        }
    }

    /// <summary>SUCCESS when every step succeeded, FAILURE when one failed, STARTED once any ran, else PENDING.</summary>
    internal static string OverallState(IReadOnlyList<OnboardingStepResponse> steps)
    {
        var states = steps.Select(s => TaskStates.Parse(s.State)).ToList();
        if (states.Count > 0 && states.All(s => s == TaskState.Success))
        {
            return TaskState.Success.ToWireName();
        }

        if (states.Any(s => s is TaskState.Failure or TaskState.Revoked))
        {
            return TaskState.Failure.ToWireName();
        }

        return states.Any(s => s != TaskState.Pending) ? TaskState.Started.ToWireName() : TaskState.Pending.ToWireName();
    }

    private static ProblemHttpResult UserNotFound(string id) =>
        Problem(StatusCodes.Status404NotFound, "User not found", $"No user has the id '{id}'.");

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);
}

/// <summary>What the users endpoints depend on.</summary>
internal sealed record UserServices(
    RedisUserStore Store, IOnboardingWorkflow Onboarding, IUserEventPublisher Events, ITaskClient Tasks, IWorkflowStatusReader Status, TimeProvider Time, ILogger<UserServices> Logger);

public sealed record UserCreatedResponse(UserResponse User, string OnboardingTaskId, string StatusUrl);

public sealed record UserListResponse(IReadOnlyList<UserResponse> Items, long Total, int Skip, int Take);

public sealed record ProfileUpdatedResponse(UserResponse User, IReadOnlyList<string> ChangedFields, string? TaskId);

public sealed record OnboardingStepResponse(string Step, string TaskId, string State);

public sealed record OnboardingStatusResponse(string UserId, string UserStatus, string State, IReadOnlyList<OnboardingStepResponse> Steps);
