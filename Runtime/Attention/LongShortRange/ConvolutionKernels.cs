using System.Numerics;
using System.Runtime.CompilerServices;
using XformerDsl.Kernels;

namespace XformerDsl.Attention.LongShortRange;

/// <summary>
/// The fused CPU kernels of lightweight and dynamic convolution, forward and backward, for one declared shape
/// (<typeparamref name="TShape"/>: kernel size and padding are JIT-time constants, see <see cref="IConvolutionShape"/>).
/// </summary>
/// <remarks>
/// <para>
/// SIMD runs along the channels, the contiguous axis of <c>[batch, seq, channels]</c>: a vector holds consecutive
/// channels of one head, every tap multiplies it by that head's weight broadcast, so any head size works (the channels a
/// head has beyond its last whole vector take a scalar loop). Blocks of positions run in parallel
/// (<see cref="KernelParallel"/>). A position whose K taps all fall inside the sequence (every one but the first and last
/// few) runs the tap loop with constant bounds; the others clip it to the sequence, which is the zero padding.
/// </para>
/// <para>
/// The input gradient is gathered rather than scattered, <c>dx[s] = Σ_k w[s + P − k, k] · dy[s + P − k]</c>, so blocks
/// write disjoint rows. A dynamic convolution's weight gradient is a dot product per position, head and tap; a
/// lightweight one sums those over all positions, so each worker accumulates per-channel partial sums
/// <c>[K, channels]</c> with vector instructions only, and the heads' channels are summed once at the end. Both take
/// four taps per pass over dy where every tap is inside the sequence. Workers add their partial sums in the order they
/// finish, so with more than one thread the lightweight weight gradient can differ in its last bits from run to run.
/// </para>
/// </remarks>
/// <typeparam name="TShape">The declared kernel size and padding.</typeparam>
public static unsafe class ConvolutionKernels<TShape> where TShape : struct, IConvolutionShape
{
    // P, the zeros before position 0 (ConvolutionPadding.Left), a constant of the shape once the JIT folds it.
    private static int Padding
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TShape.Causal ? TShape.KernelSize - 1 : (TShape.KernelSize - 1) / 2;
    }

    // Positions per parallel task: enough work to amortise scheduling, small enough for 2 cores to balance short sequences.
    private const int RowsPerTask = 32;

    /// <summary>Writes <c>y[b, t, c] = Σ_k w[b, t, c / R, k] · x[b, t + k − P, c]</c> (w the same for every position when lightweight).</summary>
    public static void Forward<T, TVec, TOps>(in ConvolutionArguments<T> args)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>
    {
        var a = args;
        int blocks = (a.Length + RowsPerTask - 1) / RowsPerTask;
        KernelParallel.For(a.Batch * blocks, a.Threads, () => NoScratch.Instance, (task, _) =>
        {
            int b = task / blocks, first = task % blocks * RowsPerTask;
            ForwardRows<T, TVec, TOps>(a, b, first, Math.Min(a.Length, first + RowsPerTask));
        });
    }

    /// <summary>
    /// Writes dL/dx and dL/dw from dL/dy: <c>dx[b, s, c] = Σ_k w[b, s + P − k, c / R, k] · dy[b, s + P − k, c]</c>, and
    /// <c>dw[b, t, h, k] = Σ_{c in h} dy[b, t, c] · x[b, t + k − P, c]</c> (summed over b and t when lightweight).
    /// </summary>
    public static void Backward<T, TVec, TOps>(in ConvolutionBackwardArguments<T> args)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>
    {
        var g = args;
        var a = g.Forward;
        int blocks = (a.Length + RowsPerTask - 1) / RowsPerTask;
        if (a.IsDynamic)
        {
            KernelParallel.For(a.Batch * blocks, a.Threads, () => NoScratch.Instance, (task, _) =>
            {
                int b = task / blocks, first = task % blocks * RowsPerTask, end = Math.Min(a.Length, first + RowsPerTask);
                InputGradientRows<T, TVec, TOps>(g, b, first, end);
                DynamicWeightGradientRows<T, TVec, TOps>(g, b, first, end);
            });
            return;
        }

        int kernelSize = TShape.KernelSize, channels = a.Channels;
        using var total = new NativeBuffer<T>((long)kernelSize * channels);
        var gate = new object();
        KernelParallel.For(a.Batch * blocks, a.Threads, () => new ChannelPartials<T>(total, gate), (task, partials) =>
        {
            int b = task / blocks, first = task % blocks * RowsPerTask, end = Math.Min(a.Length, first + RowsPerTask);
            InputGradientRows<T, TVec, TOps>(g, b, first, end);
            AccumulateChannelProducts<T, TVec, TOps>(g, b, first, end, partials.Sums.Pointer);
        });
        // dw[h, k] = Σ over the head's channels of the per-channel sums.
        int heads = a.Heads, perHead = channels / heads;
        for (int h = 0; h < heads; h++)
            for (int k = 0; k < kernelSize; k++)
            {
                T sum = T.Zero;
                T* row = total.Pointer + (long)k * channels + h * perHead;
                for (int c = 0; c < perHead; c++)
                    sum += row[c];
                g.WeightGradient[h * kernelSize + k] = sum;
            }
    }

    // The loops below are the kernel: AggressiveOptimization compiles them fully optimised on first use, where tiered
    // compilation would run a training job's first steps through unoptimised SIMD code, tens of times slower.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardRows<T, TVec, TOps>(in ConvolutionArguments<T> a, int b, int first, int end)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>
    {
        for (int t = first; t < end; t++)
            ForwardRow<T, TVec, TOps>(a, b, t);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputGradientRows<T, TVec, TOps>(in ConvolutionBackwardArguments<T> g, int b, int first, int end)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>
    {
        for (int s = first; s < end; s++)
            InputGradientRow<T, TVec, TOps>(g, b, s);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DynamicWeightGradientRows<T, TVec, TOps>(in ConvolutionBackwardArguments<T> g, int b, int first, int end)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>
    {
        for (int t = first; t < end; t++)
            DynamicWeightGradientRow<T, TVec, TOps>(g, b, t);
    }

    // One output position: every head's channels, vector by vector, over the taps inside the sequence.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ForwardRow<T, TVec, TOps>(in ConvolutionArguments<T> a, int b, int t)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>
    {
        int kernelSize = TShape.KernelSize, padding = Padding;
        long row = (long)b * a.Length + t;
        T* taps = a.Input + (row - padding) * a.Channels;       // the input row under tap 0 (outside the sequence near its start)
        T* weights = a.Weights + row * a.WeightRowStride;
        T* output = a.Output + row * a.Channels;
        int first = Math.Max(0, padding - t), end = Math.Min(kernelSize, a.Length + padding - t);
        if (first == 0 && end == kernelSize)
            Taps<T, TVec, TOps>(taps, a.Channels, weights, 0, output, a.Channels, a.Heads, 0, kernelSize);   // constant bounds: the JIT's K
        else
            Taps<T, TVec, TOps>(taps, a.Channels, weights, 0, output, a.Channels, a.Heads, first, end);
    }

    // dx at input position s: output position t = s + P − k used it through tap k.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputGradientRow<T, TVec, TOps>(in ConvolutionBackwardArguments<T> g, int b, int s)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>
    {
        var a = g.Forward;
        int kernelSize = TShape.KernelSize, padding = Padding;
        long row = (long)b * a.Length + s, last = row + padding;  // the output row under tap 0
        // Tap k reads the output gradient row last − k, and that row's weights: one step back per tap, as the tap advances.
        T* gradients = g.OutputGradient + last * a.Channels;
        T* weights = a.Weights + last * a.WeightRowStride;
        T* inputGradient = g.InputGradient + row * a.Channels;
        int first = Math.Max(0, s + padding - (a.Length - 1)), end = Math.Min(kernelSize, s + padding + 1);
        if (first == 0 && end == kernelSize)
            Taps<T, TVec, TOps>(gradients, -a.Channels, weights, a.WeightRowStride, inputGradient, a.Channels, a.Heads, 0, kernelSize);
        else
            Taps<T, TVec, TOps>(gradients, -a.Channels, weights, a.WeightRowStride, inputGradient, a.Channels, a.Heads, first, end);
    }

    // dw of one position of a dynamic convolution: per head and tap, the dot product of dy and the tap's input over the head's channels.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DynamicWeightGradientRow<T, TVec, TOps>(in ConvolutionBackwardArguments<T> g, int b, int t)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>
    {
        var a = g.Forward;
        int kernelSize = TShape.KernelSize, padding = Padding;
        int channels = a.Channels, perHead = channels / a.Heads, width = TOps.Count;
        long row = (long)b * a.Length + t;
        T* taps = a.Input + (row - padding) * channels;
        T* gradient = g.OutputGradient + row * channels;
        T* weightGradient = g.WeightGradient + row * a.WeightRowStride;
        int first = Math.Max(0, padding - t), end = Math.Min(kernelSize, a.Length + padding - t);
        bool interior = first == 0 && end == kernelSize;
        for (int h = 0; h < a.Heads; h++)
        {
            int start = h * perHead, stop = start + perHead;
            T* dw = weightGradient + h * kernelSize;
            int k = 0;
            // Where every tap reads inside the sequence, four taps at a time share each load of dy, and their four sums
            // are independent chains (one tap's sum alone would wait on each multiply-add before the next).
            if (interior)
                for (; k <= kernelSize - 4; k += 4)
                {
                    T* input = taps + (long)k * channels;
                    TVec sum0 = TOps.Zero, sum1 = TOps.Zero, sum2 = TOps.Zero, sum3 = TOps.Zero;
                    int c = start;
                    for (; c <= stop - width; c += width)
                    {
                        TVec d = TOps.Load(gradient + c);
                        sum0 = TOps.MultiplyAdd(d, TOps.Load(input + c), sum0);
                        sum1 = TOps.MultiplyAdd(d, TOps.Load(input + channels + c), sum1);
                        sum2 = TOps.MultiplyAdd(d, TOps.Load(input + 2 * channels + c), sum2);
                        sum3 = TOps.MultiplyAdd(d, TOps.Load(input + 3 * channels + c), sum3);
                    }
                    T total0 = TOps.Sum(sum0), total1 = TOps.Sum(sum1), total2 = TOps.Sum(sum2), total3 = TOps.Sum(sum3);
                    for (; c < stop; c++)
                    {
                        T d = gradient[c];
                        total0 += d * input[c];
                        total1 += d * input[channels + c];
                        total2 += d * input[2 * channels + c];
                        total3 += d * input[3 * channels + c];
                    }
                    dw[k] = total0;
                    dw[k + 1] = total1;
                    dw[k + 2] = total2;
                    dw[k + 3] = total3;
                }
            for (; k < kernelSize; k++)
            {
                if (k < first || k >= end)
                {
                    dw[k] = T.Zero;     // the tap read padding: no gradient
                    continue;
                }
                T* input = taps + (long)k * channels;
                TVec sum = TOps.Zero;
                int c = start;
                for (; c <= stop - width; c += width)
                    sum = TOps.MultiplyAdd(TOps.Load(gradient + c), TOps.Load(input + c), sum);
                T total = TOps.Sum(sum);
                for (; c < stop; c++)
                    total += gradient[c] * input[c];
                dw[k] = total;
            }
        }
    }

    // A lightweight convolution's weight gradient, per channel, over a block of positions:
    // sums[k, c] += Σ_t dy[t, c] · x[t + k − P, c]. Channels outermost, so one slice of the block's rows stays in the L1
    // cache through all K taps; the sum over the block's rows stays in registers, and each tap clips its rows to the ones
    // that read inside the sequence.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AccumulateChannelProducts<T, TVec, TOps>(in ConvolutionBackwardArguments<T> g, int b, int first, int end, T* sums)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>
    {
        var a = g.Forward;
        int kernelSize = TShape.KernelSize, padding = Padding;
        int channels = a.Channels, length = a.Length, width = TOps.Count;
        long sequence = (long)b * length * channels;
        T* gradient = g.OutputGradient + sequence;
        int c = 0;
        // Blocks whose every row reads all K taps inside the sequence (all but the first and last): four taps at a
        // time share each load of dy, with eight independent sums in registers.
        if (first >= padding && end + kernelSize - 1 - padding <= length)
        {
            for (; c <= channels - 2 * width; c += 2 * width)
            {
                int k = 0;
                for (; k <= kernelSize - 4; k += 4)
                {
                    T* input = a.Input + sequence + (long)(k - padding) * channels + c;
                    TVec s00 = TOps.Zero, s01 = TOps.Zero, s10 = TOps.Zero, s11 = TOps.Zero;
                    TVec s20 = TOps.Zero, s21 = TOps.Zero, s30 = TOps.Zero, s31 = TOps.Zero;
                    for (int t = first; t < end; t++)
                    {
                        long at = (long)t * channels;
                        TVec d0 = TOps.Load(gradient + at + c), d1 = TOps.Load(gradient + at + c + width);
                        T* x = input + at;
                        s00 = TOps.MultiplyAdd(d0, TOps.Load(x), s00);
                        s01 = TOps.MultiplyAdd(d1, TOps.Load(x + width), s01);
                        s10 = TOps.MultiplyAdd(d0, TOps.Load(x + channels), s10);
                        s11 = TOps.MultiplyAdd(d1, TOps.Load(x + channels + width), s11);
                        s20 = TOps.MultiplyAdd(d0, TOps.Load(x + 2 * channels), s20);
                        s21 = TOps.MultiplyAdd(d1, TOps.Load(x + 2 * channels + width), s21);
                        s30 = TOps.MultiplyAdd(d0, TOps.Load(x + 3 * channels), s30);
                        s31 = TOps.MultiplyAdd(d1, TOps.Load(x + 3 * channels + width), s31);
                    }
                    T* sum = sums + (long)k * channels + c;
                    AddTo<T, TVec, TOps>(sum, s00, s01, width);
                    AddTo<T, TVec, TOps>(sum + channels, s10, s11, width);
                    AddTo<T, TVec, TOps>(sum + 2 * channels, s20, s21, width);
                    AddTo<T, TVec, TOps>(sum + 3 * channels, s30, s31, width);
                }
                for (; k < kernelSize; k++)
                {
                    T* input = a.Input + sequence + (long)(k - padding) * channels + c;
                    TVec sum0 = TOps.Zero, sum1 = TOps.Zero;
                    for (int t = first; t < end; t++)
                    {
                        long at = (long)t * channels;
                        sum0 = TOps.MultiplyAdd(TOps.Load(gradient + at + c), TOps.Load(input + at), sum0);
                        sum1 = TOps.MultiplyAdd(TOps.Load(gradient + at + c + width), TOps.Load(input + at + width), sum1);
                    }
                    AddTo<T, TVec, TOps>(sums + (long)k * channels + c, sum0, sum1, width);
                }
            }
        }
        for (; c <= channels - 2 * width; c += 2 * width)
            for (int k = 0; k < kernelSize; k++)
            {
                int from = Math.Max(first, padding - k), to = Math.Min(end, length + padding - k);
                T* input = a.Input + sequence + (long)(k - padding) * channels + c;    // + t · channels: the tap's input at t
                TVec sum0 = TOps.Zero, sum1 = TOps.Zero;
                for (int t = from; t < to; t++)
                {
                    long at = (long)t * channels;
                    sum0 = TOps.MultiplyAdd(TOps.Load(gradient + at + c), TOps.Load(input + at), sum0);
                    sum1 = TOps.MultiplyAdd(TOps.Load(gradient + at + c + width), TOps.Load(input + at + width), sum1);
                }
                T* sum = sums + (long)k * channels + c;
                TOps.Store(TOps.Add(TOps.Load(sum), sum0), sum);
                TOps.Store(TOps.Add(TOps.Load(sum + width), sum1), sum + width);
            }
        for (; c < channels; c++)
            for (int k = 0; k < kernelSize; k++)
            {
                int from = Math.Max(first, padding - k), to = Math.Min(end, length + padding - k);
                T* input = a.Input + sequence + (long)(k - padding) * channels + c;
                T sum = T.Zero;
                for (int t = from; t < to; t++)
                    sum += gradient[(long)t * channels + c] * input[(long)t * channels];
                sums[(long)k * channels + c] += sum;
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo<T, TVec, TOps>(T* sum, TVec first, TVec second, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>
    {
        TOps.Store(TOps.Add(TOps.Load(sum), first), sum);
        TOps.Store(TOps.Add(TOps.Load(sum + width), second), sum + width);
    }

    // out[c] = Σ_{k in [first, end)} w_k[c / R] · rows_k[c] for every channel, where rows_k = rows + k · rowStep and
    // w_k = weights + h·K + k − k · weightStep (weightStep 0: one kernel for all positions; else each tap steps one
    // position back). Four (or two) vectors at a time keep as many multiply-add chains in flight, each tap's weight
    // broadcast once for them; the head's remainder is scalar.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Taps<T, TVec, TOps>(T* rows, long rowStep, T* weights, long weightStep, T* output, int channels, int heads, int first, int end)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : struct
        where TOps : ISimdOps<TVec, T>
    {
        int kernelSize = TShape.KernelSize;
        int perHead = channels / heads, width = TOps.Count;
        long tapStride = 1 - weightStep;
        for (int h = 0; h < heads; h++)
        {
            T* w = weights + h * kernelSize;
            int c = h * perHead, stop = c + perHead;
            for (; c <= stop - 4 * width; c += 4 * width)
            {
                TVec sum0 = TOps.Zero, sum1 = TOps.Zero, sum2 = TOps.Zero, sum3 = TOps.Zero;
                for (int k = first; k < end; k++)
                {
                    TVec weight = TOps.Broadcast(w[k * tapStride]);
                    T* source = rows + k * rowStep + c;
                    sum0 = TOps.MultiplyAdd(weight, TOps.Load(source), sum0);
                    sum1 = TOps.MultiplyAdd(weight, TOps.Load(source + width), sum1);
                    sum2 = TOps.MultiplyAdd(weight, TOps.Load(source + 2 * width), sum2);
                    sum3 = TOps.MultiplyAdd(weight, TOps.Load(source + 3 * width), sum3);
                }
                TOps.Store(sum0, output + c);
                TOps.Store(sum1, output + c + width);
                TOps.Store(sum2, output + c + 2 * width);
                TOps.Store(sum3, output + c + 3 * width);
            }
            for (; c <= stop - 2 * width; c += 2 * width)
            {
                TVec sum0 = TOps.Zero, sum1 = TOps.Zero;
                for (int k = first; k < end; k++)
                {
                    TVec weight = TOps.Broadcast(w[k * tapStride]);
                    T* source = rows + k * rowStep + c;
                    sum0 = TOps.MultiplyAdd(weight, TOps.Load(source), sum0);
                    sum1 = TOps.MultiplyAdd(weight, TOps.Load(source + width), sum1);
                }
                TOps.Store(sum0, output + c);
                TOps.Store(sum1, output + c + width);
            }
            for (; c <= stop - width; c += width)
            {
                TVec sum = TOps.Zero;
                for (int k = first; k < end; k++)
                    sum = TOps.MultiplyAdd(TOps.Broadcast(w[k * tapStride]), TOps.Load(rows + k * rowStep + c), sum);
                TOps.Store(sum, output + c);
            }
            for (; c < stop; c++)
            {
                T sum = T.Zero;
                for (int k = first; k < end; k++)
                    sum += w[k * tapStride] * rows[k * rowStep + c];
                output[c] = sum;
            }
        }
    }

    // A worker's per-channel partial sums of a lightweight weight gradient, added to the shared total when the worker ends.
    private sealed class ChannelPartials<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly NativeBuffer<T> _total;
        private readonly object _gate;

        public ChannelPartials(NativeBuffer<T> total, object gate)
        {
            _total = total;
            _gate = gate;
            Sums = new NativeBuffer<T>(total.Length);
        }

        public NativeBuffer<T> Sums { get; }

        public void Dispose()
        {
            lock (_gate)
            {
                T* from = Sums.Pointer, to = _total.Pointer;
                for (long i = 0; i < Sums.Length; i++)
                    to[i] += from[i];
            }
            Sums.Dispose();
        }
    }
}
