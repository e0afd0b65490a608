using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Onboarding.Contracts.Http;
using Onboarding.OrderService.Application;
using Onboarding.OrderService.Infrastructure;
using Onboarding.OrderService.Workflows;
using Onboarding.ServiceDefaults.HttpApi;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Canvas;
using Onboarding.TaskEngine.Workflows;

namespace Onboarding.OrderService.Apis;

/// <summary>The orders resource: <c>/api/orders</c>.</summary>
internal static class OrdersApi
{
    private const int MaxPageSize = 100;

    public static RouteGroupBuilder MapOrdersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/orders").WithTags("Orders");

        api.MapPost("/", CreateOrderAsync).WithName("CreateOrder")
            .WithSummary("Place an order and start the processing chain");
        api.MapGet("/", ListOrdersAsync).WithName("ListOrders").WithSummary("List orders, newest first");
        api.MapGet("/{id}", GetOrderAsync).WithName("GetOrder").WithSummary("Get an order");
        api.MapGet("/{id}/workflow", GetWorkflowAsync).WithName("GetOrderWorkflow")
            .WithSummary("The state of each step of the order's processing chain and fulfillment chord");
        api.MapPost("/{id}/fulfillment", StartFulfillmentAsync).WithName("StartFulfillment")
            .WithSummary("Start the fulfillment chord of a confirmed order");

        // Used by the order tasks (Workers) over service discovery.
        api.MapPost("/{id}/status", ChangeStatusAsync).WithName("ChangeOrderStatus")
            .WithSummary("Move the order along its state machine (idempotent)");
        api.MapPost("/expire-unpaid", ExpireUnpaidAsync).WithName("ExpireUnpaidOrders")
            .WithSummary("Expire orders still unpaid after Orders:UnpaidTimeout and release their stock (periodic task)");
        api.MapPut("/{id}/charges", SetChargesAsync).WithName("SetOrderCharges")
            .WithSummary("Record shipping, tax, payment id or fraud score computed by a task");

        return api;
    }

    public static async Task<Results<Accepted<OrderAcceptedResponse>, ValidationProblem, ProblemHttpResult>> CreateOrderAsync(
        CreateOrderRequest? request, [AsParameters] OrderServices services, CancellationToken cancellationToken)
    {
        var now = services.Time.GetUtcNow();
        var errors = OrderValidation.Validate(request, now);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        // An order for a user that does not exist is refused here; when UserService cannot answer, the order is
        // accepted and validate_inventory asks again before any stock is taken.
        var userId = request!.UserId!.Trim();
        var check = await services.Users.CheckAsync(userId, cancellationToken);
        if (check == CustomerCheck.Unknown)
        {
            return ApiProblems.UnknownUser(userId);
        }

        var order = new Order
        {
            Id = Guid.CreateVersion7(now).ToString(),
            UserId = userId,
            UserVerified = check == CustomerCheck.Exists,
            CustomerEmail = request.CustomerEmail!.Trim(),
            Items = [.. request.Items!.Select(i => (Item: i!, Product: Catalog.Find(i!.ProductId)!))
                .Select(x => new OrderItem(x.Product.Id, x.Product.Name, x.Item.Quantity!.Value, x.Product.Price))],
            ShippingAddress = request.ShippingAddress!,
            CardLast4 = OrderValidation.Last4(request.PaymentMethod!.CardNumber!),
            CreatedAt = now,
            UpdatedAt = now,
        };
        await services.Orders.CreateAsync(order);

        var started = await services.Workflows.StartProcessingAsync(order, cancellationToken);
        order = await services.Orders.UpdateAsync(order.Id, o => o with
        {
            Tasks = Merge(o.Tasks, started.StepTasks),
            WorkflowRoots = Merge(o.WorkflowRoots, new Dictionary<string, string> { [OrderWorkflows.Processing] = started.WorkflowId }),
        }) ?? order;
        OrderServiceLog.OrderCreated(services.Logger, order.Id, started.WorkflowId);

        var statusUrl = $"/api/orders/{order.Id}";
        return TypedResults.Accepted(statusUrl, new OrderAcceptedResponse(order.ToResponse(), started.WorkflowId, statusUrl));
    }

    public static async Task<Results<Ok<OrderListResponse>, ValidationProblem>> ListOrdersAsync(
        [AsParameters] OrderServices services, string? userId, string? status, int? skip, int? take)
    {
        var (s, t) = (skip ?? 0, take ?? 20);
        if (s < 0 || t is < 1 or > MaxPageSize)
        {
            return ApiProblems.Invalid("paging", $"skip must be 0 or more and take 1 to {MaxPageSize}.");
        }

        if (status is not null && !OrderStateMachine.IsKnown(status))
        {
            return ApiProblems.Invalid("status", $"The status must be one of: {string.Join(", ", OrderStateMachine.Statuses)}.");
        }

        if (userId is not null && !ResourceIds.IsWellFormed(userId))
        {
            return ApiProblems.Invalid("userId", ResourceIds.Message("userId"));
        }

        var (orders, total) = await services.Orders.ListAsync(userId, status, s, t);
        return TypedResults.Ok(new OrderListResponse([.. orders.Select(o => o.ToResponse())], total, s, t));
    }

    public static async Task<Results<Ok<OrderResponse>, ProblemHttpResult>> GetOrderAsync(
        string id, [AsParameters] OrderServices services) =>
        await services.Orders.GetAsync(id) is { } order ? TypedResults.Ok(order.ToResponse()) : ApiProblems.NotFound("Order", id);

    public static async Task<Results<Ok<OrderWorkflowResponse>, ProblemHttpResult>> GetWorkflowAsync(
        string id, [AsParameters] OrderServices services, CancellationToken cancellationToken)
    {
        if (await services.Orders.GetAsync(id) is not { } order)
        {
            return ApiProblems.NotFound("Order", id);
        }

        // Every workflow's status tree (IWorkflowStatusReader) holds its steps, PENDING ones and compensations included.
        var workflows = new List<OrderWorkflowStatus>();
        foreach (var (name, rootId) in order.WorkflowRoots.OrderBy(w => w.Key == OrderWorkflows.Processing ? 0 : 1))
        {
            var steps = new List<OrderWorkflowStep>();
            if (await services.Status.GetAsync(rootId, cancellationToken) is { } tree)
            {
                Flatten(tree, steps);
            }

            workflows.Add(new OrderWorkflowStatus(name, rootId, steps));
        }

        var current = (await services.Orders.GetAsync(id))?.Status ?? order.Status;
        return TypedResults.Ok(new OrderWorkflowResponse(order.Id, current, order.FailureReason, workflows));
    }

    private static void Flatten(WorkflowNode node, List<OrderWorkflowStep> steps)
    {
        if (!node.Name.StartsWith("celery.", StringComparison.Ordinal) && node.Name.Length > 0)
        {
            steps.Add(new OrderWorkflowStep(WorkflowStepIds.StepName(node.Name), node.Id, node.State.ToWireName()));
        }

        foreach (var child in node.Children)
        {
            Flatten(child, steps);
        }
    }

    public static async Task<Results<Accepted<OrderAcceptedResponse>, ProblemHttpResult>> StartFulfillmentAsync(
        string id, [AsParameters] OrderServices services, CancellationToken cancellationToken)
    {
        if (await services.Orders.GetAsync(id) is not { } order)
        {
            return ApiProblems.NotFound("Order", id);
        }

        if (order.Status != OrderStatuses.Confirmed)
        {
            return ApiProblems.Conflict("Order not confirmed",
                $"Fulfillment starts from a confirmed order; this one is {order.Status}.");
        }

        if (order.Tasks.ContainsKey("finalize_order_preparation"))
        {
            return ApiProblems.Conflict("Fulfillment already started", "This order's fulfillment was started before.");
        }

        var started = await services.Workflows.StartFulfillmentAsync(order, cancellationToken);
        order = await services.Orders.UpdateAsync(id, o => o with
        {
            Tasks = Merge(o.Tasks, started.StepTasks),
            WorkflowRoots = Merge(o.WorkflowRoots, new Dictionary<string, string> { [OrderWorkflows.Fulfillment] = started.WorkflowId }),
        }) ?? order;
        var statusUrl = $"/api/orders/{order.Id}";
        return TypedResults.Accepted(statusUrl, new OrderAcceptedResponse(order.ToResponse(), started.WorkflowId, statusUrl));
    }

    public static async Task<Results<Ok<OrderResponse>, ValidationProblem, ProblemHttpResult>> ChangeStatusAsync(
        string id, OrderStatusChangeRequest? request, [AsParameters] OrderServices services)
    {
        var errors = RequestValidation.Validate(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var to = request!.Status!;

        string? from = null;
        var rejected = false;
        var order = await services.Orders.UpdateAsync(id, o =>
        {
            from = o.Status;
            rejected = !OrderStateMachine.CanMove(o.Status, to);
            return rejected || o.Status == to
                ? o
                : o with { Status = to, FailureReason = to == OrderStatuses.Failed ? request.Reason : o.FailureReason, UpdatedAt = services.Time.GetUtcNow() };
        });
        if (order is null)
        {
            return ApiProblems.NotFound("Order", id);
        }

        if (rejected)
        {
            return ApiProblems.Conflict("Transition not allowed", $"An order cannot move from {from} to {to}.");
        }

        if (from != to)
        {
            OrderServiceLog.StatusChanged(services.Logger, id, from!, to);
        }

        return TypedResults.Ok(order.ToResponse());
    }

    public static async Task<Results<Ok<OrderResponse>, ValidationProblem, ProblemHttpResult>> SetChargesAsync(
        string id, OrderChargesRequest? request, [AsParameters] OrderServices services)
    {
        var errors = RequestValidation.Validate(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var order = await services.Orders.UpdateAsync(id, o => o with
        {
            Shipping = request!.Shipping ?? o.Shipping,
            Tax = request.Tax ?? o.Tax,
            PaymentId = request.PaymentId ?? o.PaymentId,
            FraudScore = request.FraudScore ?? o.FraudScore,
            UpdatedAt = services.Time.GetUtcNow(),
        });
        return order is null ? ApiProblems.NotFound("Order", id) : TypedResults.Ok(order.ToResponse());
    }

    public static async Task<Ok<ExpiredOrdersResponse>> ExpireUnpaidAsync(
        [AsParameters] OrderServices services, RedisInventory inventory, IOptions<OrdersOptions> options)
    {
        var now = services.Time.GetUtcNow();
        var cutoff = now - options.Value.UnpaidTimeout;
        var expired = new List<string>();
        foreach (var status in (string[])[OrderStatuses.Pending, OrderStatuses.Processing])
        {
            var (unpaid, _) = await services.Orders.ListAsync(null, status, 0, int.MaxValue);
            foreach (var order in unpaid.Where(o => o.CreatedAt < cutoff))
            {
                var changed = false;
                await services.Orders.UpdateAsync(order.Id, o =>
                {
                    changed = o.Status is OrderStatuses.Pending or OrderStatuses.Processing;
                    return changed ? o with { Status = OrderStatuses.Expired, FailureReason = "unpaid after " + options.Value.UnpaidTimeout, UpdatedAt = now } : o;
                });
                if (changed)
                {
                    await inventory.ReleaseAsync(order.Id);
                    OrderServiceLog.StatusChanged(services.Logger, order.Id, order.Status, OrderStatuses.Expired);
                    expired.Add(order.Id);
                }
            }
        }

        return TypedResults.Ok(new ExpiredOrdersResponse(expired, cutoff));
    }

    private static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b)
    {
        var merged = new Dictionary<string, string>(a, StringComparer.Ordinal);
        foreach (var (key, value) in b)
        {
            merged[key] = value;
        }

        return merged;
    }
}

/// <summary>What the orders endpoints depend on.</summary>
internal sealed record OrderServices(RedisOrderStore Orders, UserDirectory Users, IOrderWorkflows Workflows, IWorkflowStatusReader Status, TimeProvider Time, ILogger<OrderServices> Logger);

public sealed record OrderAcceptedResponse(OrderResponse Order, string WorkflowId, string StatusUrl);

public sealed record OrderWorkflowStep(string Step, string TaskId, string State);

public sealed record OrderWorkflowStatus(string Workflow, string RootId, IReadOnlyList<OrderWorkflowStep> Steps);

public sealed record OrderWorkflowResponse(string OrderId, string Status, string? FailureReason, IReadOnlyList<OrderWorkflowStatus> Workflows);

public sealed record ExpiredOrdersResponse(IReadOnlyList<string> Expired, DateTimeOffset Cutoff);

public sealed record OrderListResponse(IReadOnlyList<OrderResponse> Items, long Total, int Skip, int Take);
