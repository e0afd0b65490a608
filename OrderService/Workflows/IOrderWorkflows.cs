using Onboarding.Contracts.Tasks;
using Onboarding.OrderService.Application;
using Onboarding.TaskEngine.Canvas;
using Onboarding.TaskEngine.Workflows;

namespace Onboarding.OrderService.Workflows;

/// <summary>
/// Starts an order's workflows (the seed's shapes): the processing chain validate_inventory → calculate_shipping →
/// process_payment → send_confirmation, and the fulfillment chord [reserve_inventory, calculate_taxes,
/// validate_shipping_address, check_fraud_score] → finalize_order_preparation (status ready_to_ship).
/// </summary>
internal interface IOrderWorkflows
{
    Task<WorkflowStarted> StartProcessingAsync(Order order, CancellationToken cancellationToken = default);

    Task<WorkflowStarted> StartFulfillmentAsync(Order order, CancellationToken cancellationToken = default);
}

/// <param name="WorkflowId">The workflow's root id: <c>IWorkflowStatusReader</c> reads the step tree from it.</param>
/// <param name="StepTasks">Step name (the task's short name) → task id.</param>
internal sealed record WorkflowStarted(string WorkflowId, IReadOnlyDictionary<string, string> StepTasks);

/// <summary>
/// The order workflows as canvases sent with <see cref="IWorkflowClient.ApplyAsync"/>. Every step is immutable and
/// carries its own <c>order_id</c> kwarg. validate_inventory reserves the stock and declares
/// <c>release_inventory</c> as its compensation: when a later step of the chain finally fails (a declined payment),
/// the engine runs the compensation with (failed task id, validate_inventory's result, order_id).
/// </summary>
internal sealed class OrderWorkflows(IWorkflowClient workflows) : IOrderWorkflows
{
    public const string Processing = "processing";
    public const string Fulfillment = "fulfillment";

    public async Task<WorkflowStarted> StartProcessingAsync(Order order, CancellationToken cancellationToken = default)
    {
        var steps = new Dictionary<string, string>(StringComparer.Ordinal);
        var canvas = Chain.Of(
            Step(OrderTasks.ValidateInventory, order, steps).WithCompensation(Compensation(OrderTasks.ReleaseInventory, order)),
            Step(OrderTasks.CalculateShipping, order, steps),
            Step(OrderTasks.ProcessPayment, order, steps),
            Step(OrderTasks.SendConfirmation, order, steps));
        var result = await workflows.ApplyAsync(canvas, cancellationToken).ConfigureAwait(false);
        return new WorkflowStarted(result.RootId, steps);
    }

    public async Task<WorkflowStarted> StartFulfillmentAsync(Order order, CancellationToken cancellationToken = default)
    {
        var steps = new Dictionary<string, string>(StringComparer.Ordinal);
        var canvas = Chord.Of(
            [
                Step(OrderTasks.ReserveInventory, order, steps),
                Step(OrderTasks.CalculateTaxes, order, steps),
                Step(OrderTasks.ValidateShippingAddress, order, steps),
                Step(OrderTasks.CheckFraudScore, order, steps),
            ],
            Step(OrderTasks.FinalizeOrderPreparation, order, steps));
        var result = await workflows.ApplyAsync(canvas, cancellationToken).ConfigureAwait(false);
        return new WorkflowStarted(result.RootId, steps);
    }

    /// <summary>The short step name (without <c>order_service.tasks.</c>).</summary>
    public static string ShortName(string taskName) => taskName[(taskName.LastIndexOf('.') + 1)..];

    private static Signature Step(string task, Order order, Dictionary<string, string> steps)
    {
        var id = Guid.CreateVersion7().ToString();
        steps[ShortName(task)] = id;
        return new TaskSignature(task).WithKwarg("order_id", order.Id).Immutable().WithTaskId(id);
    }

    // A compensation is called with (failed_task_id, step_result) prepended to its own args: a kwarg keeps order_id apart.
    private static Signature Compensation(string task, Order order) =>
        new TaskSignature(task).WithKwarg("order_id", order.Id);
}
