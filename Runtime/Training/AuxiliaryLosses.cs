using static TorchSharp.torch;

namespace XformerDsl.Training;

/// <summary>
/// A module that contributes a loss of its own to training beside the task's (routing attention's k-means commitment
/// loss; a compressive memory's reconstruction loss): each training forward pass records it, and the trainer takes it
/// and adds it to the task loss before the backward pass. Evaluation passes record nothing.
/// </summary>
public interface IAuxiliaryLossSource
{
    /// <summary>
    /// The loss recorded by the latest training forward pass, already weighted, as a scalar tensor with its graph; null
    /// when none was recorded since the last call. Taking it clears it, so a loss is added once.
    /// </summary>
    Tensor? TakeAuxiliaryLoss();
}

/// <summary>How a trainer collects the auxiliary losses of a model's modules (<see cref="IAuxiliaryLossSource"/>).</summary>
public static class AuxiliaryLosses
{
    /// <summary>
    /// The sum of the auxiliary losses the modules of <paramref name="model"/> (itself included) recorded in the latest
    /// training forward pass, or null when none did. Each is taken, so calling this again returns null; the caller owns the
    /// result (dispose it once it is part of the loss).
    /// </summary>
    public static Tensor? Take(nn.Module model)
    {
        Tensor? total = null;
        foreach (var module in model.modules().Prepend(model).Distinct())
        {
            if (module is not IAuxiliaryLossSource source || source.TakeAuxiliaryLoss() is not { } loss)
                continue;
            if (total is null)
            {
                total = loss;
                continue;
            }
            // Disposing a handle leaves the graph to the sum, which holds what it needs.
            var sum = total + loss;
            total.Dispose();
            loss.Dispose();
            total = sum;
        }
        return total;
    }

    /// <summary>
    /// The loss to train on: <paramref name="taskLoss"/> plus the auxiliary losses of <paramref name="model"/> (see
    /// <see cref="Take"/>), or <paramref name="taskLoss"/> itself when there are none. The trainer reports the task loss
    /// alone, so losses of models with and without auxiliary losses compare.
    /// </summary>
    public static Tensor AddTo(Tensor taskLoss, nn.Module model)
    {
        if (Take(model) is not { } auxiliary)
            return taskLoss;
        using (auxiliary)
            return taskLoss + auxiliary.to(taskLoss.dtype);
    }
}

/// <summary>
/// Where a module keeps the auxiliary loss of its last training forward until the trainer takes it
/// (<see cref="IAuxiliaryLossSource"/>): outside the forward's dispose scope, replaced by each forward, so a loss nobody
/// takes is freed by the next forward instead of accumulating.
/// </summary>
public sealed class AuxiliaryLossSlot
{
    private Tensor? _loss;

    /// <summary>Keeps <paramref name="loss"/> times <paramref name="weight"/> (or nothing, for null) in place of the previous loss.</summary>
    public void Set(Tensor? loss, double weight)
    {
        _loss?.Dispose();
        _loss = loss is null ? null : (loss * weight).DetachFromDisposeScope();
    }

    /// <summary>The kept loss, or null; the slot is empty afterwards and the caller owns the tensor.</summary>
    public Tensor? Take()
    {
        var loss = _loss;
        _loss = null;
        return loss;
    }
}
