<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>Building</name>
    <message>
        <source>The text both models read: headmix&apos;s own, or a UTF-8 file of yours</source>
        <translation>两个模型读取的文本：headmix 自带的，或你自己的 UTF-8 文件</translation>
    </message>
    <message>
        <source>Choose file…</source>
        <translation>选择文件…</translation>
    </message>
    <message>
        <source>Measure on a UTF-8 text file of your own</source>
        <translation>在你自己的 UTF-8 文本文件上测量</translation>
    </message>
    <message>
        <source>Tokens per window; each window is scored on its own, from a fresh context (default {window})</source>
        <translation>每个窗口的词元数；每个窗口从全新的上下文开始单独计分（默认 {window}）</translation>
    </message>
    <message>
        <source>Measure at most the text&apos;s first this many tokens, in whole windows (default {tokens})</source>
        <translation>最多测量文本开头的这么多个词元，按完整窗口计（默认 {tokens}）</translation>
    </message>
    <message>
        <source>&amp;Measure</source>
        <translation>测量(&amp;M)</translation>
    </message>
    <message>
        <source>Run the original and the shrunk model side by side on the text, without exporting</source>
        <translation>在文本上并排运行原模型和缩减后的模型，无需导出</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Stop measuring (after the layer being computed)</source>
        <translation>停止测量（在正在计算的层完成之后）</translation>
    </message>
    <message>
        <source>Layers of the model, then its output head</source>
        <translation>模型的各层，然后是其输出头</translation>
    </message>
    <message>
        <source>Compare with fewer layers at this size</source>
        <translation>与同等大小下减少层的方案比较</translation>
    </message>
    <message>
        <source>Compare with fewer heads at this size</source>
        <translation>与同等大小下减少头的方案比较</translation>
    </message>
    <message>
        <source>Fewer heads or fewer layers, at the same size</source>
        <translation>同等大小下：减少头还是减少层</translation>
    </message>
    <message>
        <source>Compare methods</source>
        <translation>比较方法</translation>
    </message>
    <message>
        <source>Measure the current targets with each method (calibrated where the model has a tokenizer, mean, select, random) on the text, one after the other</source>
        <translation>在文本上依次用每种方法（模型有分词器时包括 calibrated，以及 mean、select、random）测量当前目标</translation>
    </message>
    <message>
        <source>with article</source>
        <translation>包括 article</translation>
    </message>
    <message>
        <source>Include the article&apos;s method (it needs retraining, so it is left out by default)</source>
        <translation>包括文章的方法（它需要重新训练，因此默认不包括）</translation>
    </message>
    <message>
        <source>Methods on this text</source>
        <translation>此文本上的各方法</translation>
    </message>
    <message>
        <source>method</source>
        <translation>方法</translation>
    </message>
    <message>
        <source>params</source>
        <translation>参数量</translation>
    </message>
    <message>
        <source>perplexity</source>
        <translation>困惑度</translation>
    </message>
    <message>
        <source>× before</source>
        <translation>× 前</translation>
    </message>
    <message>
        <source>Click a row to use that method for the targets</source>
        <translation>点击某行，对目标使用该方法</translation>
    </message>
    <message>
        <source>&amp;Window</source>
        <translation>窗口(&amp;W)</translation>
    </message>
    <message>
        <source>Max &amp;tokens</source>
        <translation>最大词元数(&amp;T)</translation>
    </message>
    <message>
        <source>Numbers measured for other targets: not for the current ones</source>
        <translation>为其他目标测量的数值：不属于当前目标</translation>
    </message>
</context>
<context>
    <name>CacheDialog</name>
    <message>
        <source>Open from the Hugging Face cache</source>
        <translation>从 Hugging Face 缓存打开</translation>
    </message>
    <message>
        <source>Filter by repository</source>
        <translation>按仓库筛选</translation>
    </message>
    <message>
        <source>Repository</source>
        <translation>仓库</translation>
    </message>
    <message>
        <source>Revision</source>
        <translation>修订版本</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Last used</source>
        <translation>上次使用</translation>
    </message>
    <message numerus="yes">
        <source>%n model revision(s) with safetensors weights in {folder}</source>
        <translation>
            <numerusform>{folder} 中有 %n 个带 safetensors 权重的模型修订版本</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>CacheMenu</name>
    <message>
        <source>No models with safetensors weights in {folder}</source>
        <translation>{folder} 中没有带 safetensors 权重的模型</translation>
    </message>
    <message>
        <source>All cached models…</source>
        <translation>所有缓存的模型…</translation>
    </message>
</context>
<context>
    <name>Calibration</name>
    <message>
        <source>calibrating: reading the calibration text…</source>
        <translation>校准：正在读取校准文本…</translation>
    </message>
    <message>
        <source>cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>calibration failed: {message}</source>
        <translation>校准失败：{message}</translation>
    </message>
    <message>
        <source>calibration cancelled</source>
        <translation>校准已取消</translation>
    </message>
</context>
<context>
    <name>CalibrationText</name>
    <message>
        <source>headmix&apos;s default text</source>
        <translation>headmix 的默认文本</translation>
    </message>
    <message>
        <source>, or at most {tokens} calibration tokens</source>
        <translation>，或最多 {tokens} 个校准词元</translation>
    </message>
    <message>
        <source>{source}: {count} tokens with this model&apos;s tokenizer, fewer than one calibration window of {window}; choose a longer text{fewer}</source>
        <translation>{source}：用此模型的分词器得到 {count} 个词元，不足一个 {window} 词元的校准窗口；请选择更长的文本{fewer}</translation>
    </message>
</context>
<context>
    <name>Comparison</name>
    <message>
        <source>Compare with fewer heads at this size</source>
        <translation>与同等大小下减少头的方案比较</translation>
    </message>
    <message>
        <source>Compare with fewer layers at this size</source>
        <translation>与同等大小下减少层的方案比较</translation>
    </message>
    <message>
        <source>Build the plan that removes whole decoder layers to about the same number of parameters as these targets, and measure both on the text</source>
        <translation>构建一个移除整个解码器层、参数量与这些目标大致相同的方案，并在文本上测量两者</translation>
    </message>
    <message>
        <source>Build the plan with fewer query/key-value heads nearest to this size in parameters, and measure both on the text</source>
        <translation>构建一个减少查询/键值头、参数量最接近此大小的方案，并在文本上测量两者</translation>
    </message>
    <message>
        <source>Set head targets, or fewer decoder layers (not both), to compare the two at the same size</source>
        <translation>设置头目标或减少解码器层（不能同时），才能在同等大小下比较两者</translation>
    </message>
    <message numerus="yes">
        <source>Two ways to shrink the model by about the same number of parameters ({apart}% of the original apart), measured on the same text ({tokens} tokens scored in %n window(s) of {window}): {described}. Removing whole layers saves attention and MLP at once; mixing heads saves attention only, in every layer.</source>
        <translation>
            <numerusform>将模型缩减大致相同参数量的两种方式（相差原模型的 {apart}%），在同一文本上测量（%n 个窗口，每个 {window} 个词元，共计分 {tokens} 个词元）：{described}。移除整层同时节省注意力和 MLP；混合头只节省注意力，但作用于每一层。</numerusform>
        </translation>
    </message>
    <message>
        <source>perplexity</source>
        <translation>困惑度</translation>
    </message>
    <message>
        <source>cosine</source>
        <translation>余弦相似度</translation>
    </message>
    <message>
        <source>plan</source>
        <translation>方案</translation>
    </message>
    <message>
        <source>params</source>
        <translation>参数量</translation>
    </message>
    <message>
        <source>original</source>
        <translation>原模型</translation>
    </message>
    <message>
        <source>measuring…</source>
        <translation>正在测量…</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>waiting</source>
        <translation>等待中</translation>
    </message>
    <message>
        <source> (current)</source>
        <translation>（当前）</translation>
    </message>
    <message>
        <source>{plan} costs less here: perplexity {better} against {worse}</source>
        <translation>此处“{plan}”代价更小：困惑度 {better}，另一方为 {worse}</translation>
    </message>
    <message>
        <source>{plan} stays closer to the original here: cosine {better} against {worse}</source>
        <translation>此处“{plan}”更接近原模型：余弦相似度 {better}，另一方为 {worse}</translation>
    </message>
    <message>
        <source>A measurement failed: see the message above</source>
        <translation>有一项测量失败：请看上方的信息</translation>
    </message>
    <message>
        <source>Stopped before both were measured: Compare again to finish</source>
        <translation>两者尚未都测量完就已停止：再次比较以完成</translation>
    </message>
    <message>
        <source>Measuring: {done} of {total} done</source>
        <translation>测量中：已完成 {done} / {total}</translation>
    </message>
</context>
<context>
    <name>CoreText</name>
    <message>
        <source>Run a calibration text through the model layer by layer: keep the query heads whose outputs best reproduce the layer&apos;s, merge key/value heads RoPE-aware and values by their principal directions, and refit the output projection by least squares.</source>
        <extracomment>copies of the core&apos;s Method and LayerMethod sentences and the heatmaps&apos; titles, for lupdate (tests check the core&apos;s are all here)</extracomment>
        <translation>让校准文本逐层流经模型：保留其输出最能重现该层输出的查询头，以 RoPE 感知的方式合并键/值头、按主方向合并值，并用最小二乘重新拟合输出投影。</translation>
    </message>
    <message>
        <source>Keep the heads and dims with the highest weight-norm importance scores and drop the rest.</source>
        <translation>保留权重范数重要性得分最高的头和维度，丢弃其余部分。</translation>
    </message>
    <message>
        <source>Average contiguous groups of heads and dims (for key/value heads this is the GQA paper&apos;s mean pooling).</source>
        <translation>对相邻的头和维度分组求平均（对键/值头而言即 GQA 论文中的均值池化）。</translation>
    </message>
    <message>
        <source>Replace each group that mean would average by a seeded random weighted average (positive weights summing to one).</source>
        <translation>将 mean 方法求平均的每一组改为带种子的随机加权平均（权重为正且和为一）。</translation>
    </message>
    <message>
        <source>The article&apos;s method: Gaussian matrices divided by their column sums, the same ones on q, k, v and o, with no output compensation.</source>
        <translation>原文的方法：高斯矩阵除以其列和，q、k、v、o 使用相同的矩阵，不做输出补偿。</translation>
    </message>
    <message>
        <source>Remove the layers that change the residual stream least (block influence on the calibration text; weight norms without a tokenizer).</source>
        <translation>移除对残差流改变最小的层（依据校准文本上的块影响度；没有分词器时依据权重范数）。</translation>
    </message>
    <message>
        <source>Remove the same layers, each averaged into the kept layer before it, as the article proposes.</source>
        <translation>移除相同的层，并按原文的做法把每个被移除的层平均合并到它前面保留的层中。</translation>
    </message>
    <message>
        <source>Remove them and refit the MLP output of the kept layer before each removed run by least squares, so the run&apos;s output is reproduced on the calibration text.</source>
        <translation>移除这些层，并用最小二乘重新拟合每段被移除层之前保留层的 MLP 输出，使其在校准文本上重现该段的输出。</translation>
    </message>
    <message>
        <source>Query heads</source>
        <translation>查询头</translation>
    </message>
    <message>
        <source>Key/value heads</source>
        <translation>键/值头</translation>
    </message>
    <message>
        <source>Query/key dims</source>
        <translation>查询/键维度</translation>
    </message>
    <message>
        <source>Value dims</source>
        <translation>值维度</translation>
    </message>
    <message>
        <source>block influence 1 − cos(input, output) on the calibration text</source>
        <translation>校准文本上的块影响度 1 − cos(输入, 输出)</translation>
    </message>
    <message>
        <source>‖W_o‖² + ‖W_down‖² per hidden unit (data-free)</source>
        <translation>每个隐藏单元的 ‖W_o‖² + ‖W_down‖²（无需数据）</translation>
    </message>
    <message>
        <source>Article: 4x smaller heads</source>
        <translation>文章方法：头缩小为 1/4</translation>
    </message>
    <message>
        <source>The article&apos;s random column-normalised mixing, head size divided by four. Reproduces the article; expect to retrain.</source>
        <translation>文章的随机列归一化混合，头维度除以四。复现文章的做法；预计需要重新训练。</translation>
    </message>
    <message>
        <source>Halve the head size</source>
        <translation>头维度减半</translation>
    </message>
    <message>
        <source>Head size halved: the rotary pairs and value directions that matter most on a calibration text where the model has a tokenizer (group means otherwise); rotary frequencies kept exactly.</source>
        <translation>头维度减半：模型有分词器时，保留在校准文本上最重要的旋转维度对和值方向（否则取分组均值）；旋转频率精确保留。</translation>
    </message>
    <message>
        <source>Halve query heads</source>
        <translation>查询头减半</translation>
    </message>
    <message>
        <source>Half the query heads, kv heads and head size kept; calibrated where the model has a tokenizer, group means otherwise.</source>
        <translation>查询头减半，保留 KV 头和头维度；模型有分词器时用 calibrated，否则取分组均值。</translation>
    </message>
    <message>
        <source>MHA to GQA (a quarter of the kv heads)</source>
        <translation>MHA 转 GQA（KV 头减为 1/4）</translation>
    </message>
    <message>
        <source>Query heads kept, a quarter of the key/value heads: merged RoPE-aware from a calibration text where the model has a tokenizer, mean-pooled (the GQA paper&apos;s conversion) otherwise.</source>
        <translation>保留查询头，键/值头减为四分之一：模型有分词器时依据校准文本以感知 RoPE 的方式合并，否则取均值池化（GQA 论文的转换方法）。</translation>
    </message>
    <message>
        <source>Remove a fifth of the layers</source>
        <translation>移除五分之一的层</translation>
    </message>
    <message>
        <source>Four fifths of the decoder layers kept: those that change the residual stream least on a calibration text go, and the MLP before each removed run is refitted to make up for them (fit); without a tokenizer they are dropped by weight norms instead, and on BERT, which normalises the whole residual stream after each block, by block influence (drop).</source>
        <translation>保留五分之四的解码器层：移除在校准文本上对残差流改变最小的层，并重新拟合每段被移除层之前的 MLP 以作弥补（fit）；没有分词器时改为按权重范数直接丢弃，在 BERT 上（每个块之后对整个残差流做归一化）则按块影响度直接丢弃（drop）。</translation>
    </message>
</context>
<context>
    <name>Export</name>
    <message>
        <source>Cannot export there</source>
        <translation>无法导出到该位置</translation>
    </message>
    <message numerus="yes">
        <source>… and %n more</source>
        <translation>
            <numerusform>… 以及另外 %n 项</numerusform>
        </translation>
    </message>
    <message>
        <source>Replace the earlier export?</source>
        <translation>替换之前的导出？</translation>
    </message>
    <message>
        <source>{folder} holds an earlier headmix export. Replace it with this one?</source>
        <translation>{folder} 中有之前的 headmix 导出。要用这次的替换它吗？</translation>
    </message>
    <message>
        <source>These go to the trash:</source>
        <translation>以下内容将移至回收站：</translation>
    </message>
    <message>
        <source>Replace</source>
        <translation>替换</translation>
    </message>
    <message>
        <source>choosing layers first…</source>
        <translation>正在先选择层…</translation>
    </message>
    <message>
        <source>cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>Export finished</source>
        <translation>导出完成</translation>
    </message>
    <message>
        <source>Wrote {folder}</source>
        <translation>已写入 {folder}</translation>
    </message>
    <message>
        <source>Loads in transformers.</source>
        <translation>可在 transformers 中加载。</translation>
    </message>
    <message>
        <source>Export failed</source>
        <translation>导出失败</translation>
    </message>
    <message>
        <source>Export cancelled; nothing was left behind.</source>
        <translation>导出已取消；未留下任何文件。</translation>
    </message>
    <message>
        <source>Quit headmix?</source>
        <translation>退出 headmix？</translation>
    </message>
    <message>
        <source>An export is running. Cancel the export and quit?</source>
        <translation>正在导出。要取消导出并退出吗？</translation>
    </message>
    <message>
        <source>Nothing of the unfinished export is left behind.</source>
        <translation>未完成的导出不会留下任何文件。</translation>
    </message>
    <message>
        <source>Cancel export and quit</source>
        <translation>取消导出并退出</translation>
    </message>
    <message>
        <source>Keep exporting</source>
        <translation>继续导出</translation>
    </message>
</context>
<context>
    <name>ExportDialog</name>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>The folder in which the export folder is created</source>
        <translation>将在其中创建导出文件夹的文件夹</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Pick the folder to create the export in</source>
        <translation>选择要在其中创建导出内容的文件夹</translation>
    </message>
    <message>
        <source>The name of the new folder; an existing one must be empty or an earlier headmix export</source>
        <translation>新文件夹的名称；已存在的文件夹必须为空，或是之前的 headmix 导出</translation>
    </message>
    <message>
        <source>Create in</source>
        <translation>创建位置</translation>
    </message>
    <message>
        <source>Folder name</source>
        <translation>文件夹名称</translation>
    </message>
    <message>
        <source>Write the smaller checkpoint into this folder</source>
        <translation>将缩小后的检查点写入此文件夹</translation>
    </message>
    <message>
        <source>Close without exporting</source>
        <translation>关闭，不导出</translation>
    </message>
    <message>
        <source>Type a name for the new folder.</source>
        <translation>请输入新文件夹的名称。</translation>
    </message>
    <message>
        <source>&apos;{name}&apos; is not a folder name.</source>
        <translation>“{name}”不是有效的文件夹名称。</translation>
    </message>
    <message>
        <source>{folder} is an earlier headmix export ({contents}). Export will ask before replacing it; the old one goes to the trash.</source>
        <translation>{folder} 是之前的 headmix 导出（{contents}）。导出前会先询问是否替换；旧的导出将移到回收站。</translation>
    </message>
    <message>
        <source>Writes into the empty folder {folder}</source>
        <translation>写入空文件夹 {folder}</translation>
    </message>
    <message>
        <source>Creates {folder}</source>
        <translation>创建 {folder}</translation>
    </message>
    <message>
        <source>Create the export in</source>
        <translation>选择导出位置</translation>
    </message>
</context>
<context>
    <name>ExportProgress</name>
    <message>
        <source>{left} left</source>
        <extracomment>a countdown that falls this far below what the rate says is corrected upwards (the work slowed down)</extracomment>
        <translation>剩余 {left}</translation>
    </message>
    <message>
        <source>Elapsed {elapsed}; about {left} left in this stage.</source>
        <translation>已用 {elapsed}；此阶段约剩 {left}。</translation>
    </message>
    <message>
        <source>no estimate</source>
        <translation>无法估计</translation>
    </message>
    <message>
        <source>Elapsed {elapsed}; this stage&apos;s length is not known beforehand, so no time left is given.</source>
        <translation>已用 {elapsed}；此阶段的长度事先未知，因此不显示剩余时间。</translation>
    </message>
    <message>
        <source>estimating…</source>
        <translation>正在估计…</translation>
    </message>
    <message>
        <source>Elapsed {elapsed}; the time left is estimated once this stage has done a step.</source>
        <translation>已用 {elapsed}；此阶段完成一步后再估计剩余时间。</translation>
    </message>
    <message>
        <source>choosing layers first: {what}</source>
        <translation>先选择层：{what}</translation>
    </message>
    <message>
        <source>choosing layers</source>
        <translation>正在选择层</translation>
    </message>
    <message>
        <source>{what}; the export writes once the layers are chosen. {times}</source>
        <translation>{what}；选定层之后开始写入导出。{times}</translation>
    </message>
    <message>
        <source>{written} of {size}</source>
        <translation>{written} / {size}</translation>
    </message>
    <message>
        <source>nothing yet</source>
        <translation>尚未写入</translation>
    </message>
    <message>
        <source>calibrating: </source>
        <translation>校准：</translation>
    </message>
    <message>
        <source>calibrating </source>
        <translation>校准：</translation>
    </message>
    <message>
        <source>{what}: each layer is calibrated just before it is written ({bytes} written so far). {times}</source>
        <translation>{what}：每一层在写入前校准（已写入 {bytes}）。{times}</translation>
    </message>
    <message>
        <source>starting</source>
        <translation>正在开始</translation>
    </message>
    <message>
        <source>starting…</source>
        <translation>正在开始…</translation>
    </message>
    <message>
        <source>The export is starting</source>
        <translation>导出正在开始</translation>
    </message>
    <message>
        <source>writing {bytes}</source>
        <translation>正在写入 {bytes}</translation>
    </message>
    <message>
        <source>writing %p%</source>
        <translation>正在写入 %p%</translation>
    </message>
    <message>
        <source>{what}. {times}</source>
        <translation>{what}。{times}</translation>
    </message>
</context>
<context>
    <name>Formatting</name>
    <message>
        <source>not a number</source>
        <translation>非数值</translation>
    </message>
    <message>
        <source>e^{power} (mean loss {loss} nats)</source>
        <translation>e^{power}（平均损失 {loss} nats）</translation>
    </message>
</context>
<context>
    <name>HeadValues</name>
    <message>
        <source>head {head}</source>
        <extracomment>the roles a head row of each axis stands for</extracomment>
        <translation>头 {head}</translation>
    </message>
    <message>
        <source>kv head {head}</source>
        <translation>KV 头 {head}</translation>
    </message>
</context>
<context>
    <name>HealChoice</name>
    <message>
        <source>Heal</source>
        <translation>修复</translation>
    </message>
    <message>
        <source>Heal after export</source>
        <translation>导出后修复</translation>
    </message>
    <message>
        <source>After the export is written, train it towards the original model on the calibration text (distillation); it is kept only if it helps</source>
        <translation>导出写入后，在校准文本上把它向原始模型训练（蒸馏）；只有确实有帮助时才保留</translation>
    </message>
    <message>
        <source>Tokens of the calibration text to train on (default {tokens}); more takes longer and usually heals further</source>
        <translation>用于训练的校准文本词元数（默认 {tokens}）；越多耗时越长，通常修复得越好</translation>
    </message>
    <message>
        <source>what the shrink changed</source>
        <translation>缩减改动过的张量</translation>
    </message>
    <message>
        <source>every attention projection</source>
        <translation>所有注意力投影</translation>
    </message>
    <message>
        <source>every tensor</source>
        <translation>所有张量</translation>
    </message>
    <message>
        <source>Which tensors the heal trains; the others stay exactly as exported</source>
        <translation>修复训练哪些张量；其余张量与导出时完全相同</translation>
    </message>
    <message>
        <source>Token budget</source>
        <translation>词元预算</translation>
    </message>
    <message>
        <source>Train</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>Healing needs PyTorch, which is not installed. Install it with: {line}</source>
        <translation>修复需要 PyTorch，但尚未安装。安装命令：{line}</translation>
    </message>
    <message>
        <source>Healing needs the model&apos;s tokenizer (it trains on the calibration text), and this model has none.</source>
        <translation>修复需要模型的分词器（它在校准文本上训练），而此模型没有分词器。</translation>
    </message>
    <message>
        <source>Healing cannot run on this model: {reason}</source>
        <translation>无法修复此模型：{reason}</translation>
    </message>
</context>
<context>
    <name>HealDialog</name>
    <message>
        <source>Heal an export</source>
        <translation>修复导出</translation>
    </message>
    <message>
        <source>Heal {folder}, exported from {source}, towards that original model on the text it was calibrated on.</source>
        <translation>修复 {folder}（由 {source} 导出），在其校准文本上向该原始模型训练。</translation>
    </message>
    <message>
        <source>Heal</source>
        <translation>修复</translation>
    </message>
    <message>
        <source>It was healed before; this heal starts from its current weights.</source>
        <translation>它之前已修复过；本次修复从其当前权重开始。</translation>
    </message>
</context>
<context>
    <name>HealProgress</name>
    <message>
        <source>healing: teacher {done} of {total}</source>
        <translation>修复：教师 {done} / {total}</translation>
    </message>
    <message>
        <source>The original model&apos;s next-token predictions on the calibration text, computed once, layer by layer, then its output head.</source>
        <translation>原始模型在校准文本上的下一个词元预测，逐层计算一次，最后是输出头。</translation>
    </message>
    <message>
        <source>training step {step} of {steps}</source>
        <translation>训练步 {step} / {steps}</translation>
    </message>
    <message>
        <source>training step {step} of {steps} — loss {loss}</source>
        <translation>训练步 {step} / {steps} — 损失 {loss}</translation>
    </message>
    <message>
        <source>The smaller model learns to predict what the original predicts (the loss is the KL divergence to it; lower is closer).</source>
        <translation>较小的模型学习预测原始模型的预测（损失是与之的 KL 散度；越低越接近）。</translation>
    </message>
    <message>
        <source>healing: writing the healed weights</source>
        <translation>修复：正在写入修复后的权重</translation>
    </message>
    <message>
        <source>The healed weights replace the export&apos;s only now, and only if the held-out loss improved.</source>
        <translation>修复后的权重此时才替换导出的权重，且仅当留出损失改善时。</translation>
    </message>
</context>
<context>
    <name>HealStage</name>
    <message>
        <source>held-out perplexity {before} → {after}, KL to the original {kl_before} → {kl_after}, on the part of the calibration text it did not train on ({windows} × {window} tokens)</source>
        <translation>留出困惑度 {before} → {after}，与原始模型的 KL {kl_before} → {kl_after}，基于校准文本中未参与训练的部分（{windows} × {window} 个词元）</translation>
    </message>
    <message>
        <source>{tokens} tokens, {tensors} tensors trained, {seconds} s on {device}</source>
        <translation>{tokens} 个词元，训练了 {tensors} 个张量，在 {device} 上用时 {seconds} 秒</translation>
    </message>
    <message>
        <source>Heal finished</source>
        <translation>修复完成</translation>
    </message>
    <message>
        <source>Healed {folder}: {numbers}.
{spent}. The heal is recorded in its headmix.json.</source>
        <translation>已修复 {folder}：{numbers}。
{spent}。修复记录在其 headmix.json 中。</translation>
    </message>
    <message>
        <source>The heal did not help</source>
        <translation>修复没有帮助</translation>
    </message>
    <message>
        <source>The heal did not lower the held-out loss ({numbers}), so {folder} keeps its un-healed weights. headmix.json records the attempt.
{spent}.</source>
        <translation>修复没有降低留出损失（{numbers}），因此 {folder} 保留未修复的权重。headmix.json 记录了这次尝试。
{spent}。</translation>
    </message>
    <message>
        <source>&amp;Heal an export…</source>
        <translation>修复导出(&amp;H)…</translation>
    </message>
    <message>
        <source>Train an earlier headmix export towards its original model</source>
        <translation>把之前的 headmix 导出向其原始模型训练</translation>
    </message>
    <message>
        <source>Choose a headmix export to heal</source>
        <translation>选择要修复的 headmix 导出</translation>
    </message>
    <message>
        <source>Cannot heal this folder</source>
        <translation>无法修复此文件夹</translation>
    </message>
    <message>
        <source>{problem}

Choose a folder that headmix exported: it holds headmix.json, the record of the shrink.</source>
        <translation>{problem}

请选择 headmix 导出的文件夹：其中有 headmix.json，即缩减的记录。</translation>
    </message>
    <message>
        <source>healing</source>
        <translation>正在修复</translation>
    </message>
    <message>
        <source>healing: starting…</source>
        <translation>修复：正在开始…</translation>
    </message>
    <message>
        <source>Stop the heal; the export stays as it was written</source>
        <translation>停止修复；导出保持写入时的样子</translation>
    </message>
    <message>
        <source>cancelling the heal…</source>
        <translation>正在取消修复…</translation>
    </message>
    <message>
        <source>distillation loss; held-out {before} → {after} ({kept})</source>
        <translation>蒸馏损失；留出 {before} → {after}（{kept}）</translation>
    </message>
    <message>
        <source>kept</source>
        <translation>已保留</translation>
    </message>
    <message>
        <source>not kept</source>
        <translation>未保留</translation>
    </message>
    <message>
        <source>Heal failed</source>
        <translation>修复失败</translation>
    </message>
    <message>
        <source>{problem}

{folder} is as it was before the heal.</source>
        <translation>{problem}

{folder} 与修复前相同。</translation>
    </message>
    <message>
        <source>heal cancelled</source>
        <translation>修复已取消</translation>
    </message>
    <message>
        <source>Heal cancelled; {folder} is as it was before the heal.</source>
        <translation>修复已取消；{folder} 与修复前相同。</translation>
    </message>
    <message>
        <source>Quit headmix?</source>
        <translation>退出 headmix？</translation>
    </message>
    <message>
        <source>A heal is running. Cancel the heal and quit?</source>
        <translation>修复正在进行。取消修复并退出？</translation>
    </message>
    <message>
        <source>The export stays as it was written, un-healed.</source>
        <translation>导出保持写入时的样子，未修复。</translation>
    </message>
    <message>
        <source>Cancel heal and quit</source>
        <translation>取消修复并退出</translation>
    </message>
    <message>
        <source>Keep healing</source>
        <translation>继续修复</translation>
    </message>
</context>
<context>
    <name>Healed</name>
    <message>
        <source>Healed export {folder}: the heal did not help, so it keeps the shrunk weights</source>
        <translation>已修复的导出 {folder}：修复没有帮助，因此保留缩小后的权重</translation>
    </message>
    <message>
        <source>Healed export not measured: it was healed on this text, where it would look better than it is; choose another text</source>
        <translation>已修复的导出未测量：它是在这段文本上修复的，在这里会显得比实际更好；请选择另一段文本</translation>
    </message>
    <message>
        <source>Healed export {folder}: not measured ({problem})</source>
        <translation>已修复的导出 {folder}：未测量（{problem}）</translation>
    </message>
    <message>
        <source>Healed export {folder}: measuring…</source>
        <translation>已修复的导出 {folder}：正在测量…</translation>
    </message>
    <message>
        <source>Perplexity {before} → {after} shrunk → {healed} healed ({shrunk} → {ratio})</source>
        <translation>困惑度 {before} → 缩小后 {after} → 修复后 {healed}（{shrunk} → {ratio}）</translation>
    </message>
    <message>
        <source>Healed on {tokens} tokens, measured on the same text and windows · {folder}</source>
        <translation>在 {tokens} 个词元上修复，在相同的文本和窗口上测量 · {folder}</translation>
    </message>
    <message>
        <source>perplexity on {tokens} tokens (lower is better)</source>
        <translation>{tokens} 个词元上的困惑度（越低越好）</translation>
    </message>
    <message>
        <source>perplexity, log scale</source>
        <translation>困惑度（对数刻度）</translation>
    </message>
    <message>
        <source>perplexity</source>
        <translation>困惑度</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
</context>
<context>
    <name>HistogramView</name>
    <message>
        <source>value</source>
        <translation>数值</translation>
    </message>
    <message>
        <source>count</source>
        <translation>计数</translation>
    </message>
    <message>
        <source>Pick a tensor in the tree to see its values.</source>
        <translation>在树中选择一个张量查看其数值。</translation>
    </message>
    <message>
        <source> (histogram of {sampled} evenly strided values)</source>
        <translation>（直方图取自 {sampled} 个等间隔采样的值）</translation>
    </message>
    <message>
        <source>&lt;b&gt;{name}&lt;/b&gt;: {count} values{sampled}&lt;br&gt;mean {mean} · std {std} · min {min} · max {max} · mean |x| {abs_mean} · zeros {zeros}%</source>
        <translation>&lt;b&gt;{name}&lt;/b&gt;：{count} 个值{sampled}&lt;br&gt;均值 {mean} · 标准差 {std} · 最小值 {min} · 最大值 {max} · |x| 均值 {abs_mean} · 零值 {zeros}%</translation>
    </message>
    <message>
        <source>{count} non-finite</source>
        <translation>{count} 个非有限值</translation>
    </message>
</context>
<context>
    <name>ImportanceChart</name>
    <message>
        <source>query head</source>
        <translation>查询头</translation>
    </message>
    <message>
        <source>importance ‖W_v‖·‖W_o‖</source>
        <translation>重要性 ‖W_v‖·‖W_o‖</translation>
    </message>
    <message>
        <source>What the colours and bands mean</source>
        <translation>颜色和色带的含义</translation>
    </message>
    <message>
        <source>select keeps</source>
        <translation>select 保留</translation>
    </message>
    <message>
        <source>select drops</source>
        <translation>select 丢弃</translation>
    </message>
    <message>
        <source>score</source>
        <translation>得分</translation>
    </message>
    <message>
        <source>shaded bands: the key/value head each query head reads</source>
        <translation>阴影色带：每个查询头读取的键/值头</translation>
    </message>
</context>
<context>
    <name>ImportanceLegend</name>
    <message>
        <source>green = kept by calibrated at {n} heads (by what they write on the calibration text)</source>
        <translation>绿色 = calibrated 方法在 {n} 个头时保留的头（依据其在校准文本上的输出）</translation>
    </message>
    <message>
        <source>calibrated keeps</source>
        <translation>calibrated 保留</translation>
    </message>
    <message>
        <source>calibrated drops</source>
        <translation>calibrated 丢弃</translation>
    </message>
    <message>
        <source>weight-norm scores; calibrated keeps heads by what they write on the calibration text (coloured once this layer is calibrated)</source>
        <translation>权重范数得分；calibrated 方法依据头在校准文本上的输出来保留头（该层校准后着色）</translation>
    </message>
    <message>
        <source>select cannot build {n} query heads over {kv} kv heads</source>
        <translation>select 无法在 {kv} 个 KV 头上构建 {n} 个查询头</translation>
    </message>
    <message>
        <source>green = kept by select at {n} heads</source>
        <translation>绿色 = select 方法在 {n} 个头时保留的头</translation>
    </message>
    <message>
        <source>select keeps</source>
        <translation>select 保留</translation>
    </message>
    <message>
        <source>select drops</source>
        <translation>select 丢弃</translation>
    </message>
    <message>
        <source>weight-norm scores; {method} mixes every head, none is kept as it is</source>
        <translation>权重范数得分；{method} 方法混合所有头，没有头原样保留</translation>
    </message>
    <message>
        <source>green = what select would keep at {n} heads; {method} mixes every head instead</source>
        <translation>绿色 = select 在 {n} 个头时会保留的头；{method} 方法则混合所有头</translation>
    </message>
    <message>
        <source>select would keep</source>
        <translation>select 会保留</translation>
    </message>
    <message>
        <source>select would drop</source>
        <translation>select 会丢弃</translation>
    </message>
    <message>
        <source>score</source>
        <translation>得分</translation>
    </message>
</context>
<context>
    <name>LanguageMenu</name>
    <message>
        <source>&amp;Language</source>
        <extracomment>whether a language was installed in this process: ``make_app`` installs it once, at start</extracomment>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>System ({language})</source>
        <translation>跟随系统（{language}）</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>The window shows the new language the next time headmix starts.</source>
        <translation>下次启动 headmix 时，窗口将以新语言显示。</translation>
    </message>
</context>
<context>
    <name>LayerChoice</name>
    <message>
        <source>choosing layers…</source>
        <extracomment>how many finished layer choices the window keeps, to choose again from their scores at once</extracomment>
        <translation>正在选择层…</translation>
    </message>
    <message>
        <source>reading the head scores of the smaller model…</source>
        <translation>正在读取缩小后模型的头得分…</translation>
    </message>
    <message>
        <source>cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>reading the head scores of the smaller model ({done} of {total} layers)…</source>
        <translation>正在读取缩小后模型的头得分（{done} / {total} 层）…</translation>
    </message>
    <message>
        <source>choosing layers: {stage}…</source>
        <translation>正在选择层：{stage}…</translation>
    </message>
    <message>
        <source>the layer choice failed: {message}</source>
        <translation>层选择失败：{message}</translation>
    </message>
    <message>
        <source>layer choice cancelled (Layer scores tab: Choose layers)</source>
        <translation>层选择已取消（“层得分”标签页：选择层）</translation>
    </message>
    <message>
        <source>head scores cancelled (Layer scores tab: Choose layers)</source>
        <translation>头得分已取消（“层得分”标签页：选择层）</translation>
    </message>
</context>
<context>
    <name>LayerErrorChart</name>
    <message>
        <source>layer</source>
        <extracomment>room above the tallest bar for the selection outline, as a fraction of the bars&apos; range</extracomment>
        <translation>层</translation>
    </message>
    <message>
        <source>relative error</source>
        <translation>相对误差</translation>
    </message>
    <message>
        <source>A layer&apos;s numbers, under the mouse; click a layer to select it in the window</source>
        <translation>鼠标所指层的数值；点击某层可在窗口中选中它</translation>
    </message>
    <message>
        <source>relative error of the layer&apos;s attention output, shrunk against original on the same input</source>
        <translation>该层注意力输出的相对误差（同一输入下缩减后与原始相比）</translation>
    </message>
    <message>
        <source>layer unchanged by the targets</source>
        <translation>未被目标改变的层</translation>
    </message>
    <message>
        <source>What the shrink does to each layer on its own, undiluted by earlier layers; hover for how far the whole model has drifted after the layer</source>
        <translation>缩减对每一层单独造成的影响，不受前面各层影响；悬停查看整个模型在该层之后偏离了多少</translation>
    </message>
    <message>
        <source>relative error (log)</source>
        <translation>相对误差（对数）</translation>
    </message>
    <message>
        <source>hover over a layer for its numbers; click to select it</source>
        <translation>悬停在某层上查看数值；点击以选中</translation>
    </message>
    <message>
        <source>residual stream error after it {error}</source>
        <translation>该层之后的残差流误差 {error}</translation>
    </message>
    <message>
        <source>layer {layer}: unchanged by the targets · {drift}</source>
        <translation>第 {layer} 层：未被目标改变 · {drift}</translation>
    </message>
    <message>
        <source>layer {layer}: attention output error {error} · {drift}</source>
        <translation>第 {layer} 层：注意力输出误差 {error} · {drift}</translation>
    </message>
</context>
<context>
    <name>LayerScoreChart</name>
    <message>
        <source>layer of the original model</source>
        <translation>原模型的层</translation>
    </message>
    <message>
        <source>score</source>
        <translation>得分</translation>
    </message>
    <message>
        <source>A layer&apos;s score and fate, under the mouse; click a layer to select it in the window</source>
        <translation>鼠标所指层的得分与去留；点击某层可在窗口中选中它</translation>
    </message>
    <message>
        <source>stays</source>
        <translation>保留</translation>
    </message>
    <message>
        <source>removed (the lowest scores go)</source>
        <translation>移除（得分最低的被移除）</translation>
    </message>
    <message>
        <source>hover over a layer for its score; click to select it</source>
        <translation>悬停在某层上查看得分；点击以选中</translation>
    </message>
    <message>
        <source>layer {layer}: score {score}</source>
        <translation>第 {layer} 层：得分 {score}</translation>
    </message>
    <message>
        <source>{score} · stays, as layer {new}</source>
        <translation>{score} · 保留，成为第 {new} 层</translation>
    </message>
    <message>
        <source> (+ merged {layers})</source>
        <translation>（+ 合并 {layers}）</translation>
    </message>
    <message>
        <source>{score} · removed</source>
        <translation>{score} · 移除</translation>
    </message>
    <message>
        <source> (merged into layer {layer})</source>
        <translation>（已合并到第 {layer} 层）</translation>
    </message>
</context>
<context>
    <name>LayersView</name>
    <message>
        <source>block influence 1 − cos</source>
        <translation>块影响度 1 − cos</translation>
    </message>
    <message>
        <source>weight score (data-free)</source>
        <translation>权重得分（无需数据）</translation>
    </message>
    <message>
        <source>dropped</source>
        <translation>直接丢弃</translation>
    </message>
    <message>
        <source>each averaged into the kept layer before it</source>
        <translation>每层平均合并到其前面保留的层</translation>
    </message>
    <message>
        <source>dropped, and the MLP output of the kept layer before each removed run refitted on the calibration text</source>
        <translation>直接丢弃，并在校准文本上重新拟合每段被移除层之前保留层的 MLP 输出</translation>
    </message>
    <message>
        <source>scoring layer {layer} of {total}</source>
        <translation>正在为第 {layer} 层评分，共 {total} 层</translation>
    </message>
    <message>
        <source>layers scored: {total}</source>
        <translation>已评分的层：{total}</translation>
    </message>
    <message>
        <source>fitting: layer {layer} of {total}</source>
        <translation>拟合：第 {layer} 层，共 {total} 层</translation>
    </message>
    <message>
        <source>fitted</source>
        <translation>已拟合</translation>
    </message>
    <message>
        <source>scoring layers by their weights</source>
        <translation>正在按权重为各层评分</translation>
    </message>
    <message>
        <source>waiting for the choice under way (its progress is on the Layer scores tab)</source>
        <translation>正在等待进行中的层选择（进度见“层得分”标签页）</translation>
    </message>
    <message>
        <source>head scores of the kept layers: {done} of {total}</source>
        <translation>保留层的头得分：{done} / {total}</translation>
    </message>
    <message>
        <source>score</source>
        <translation>得分</translation>
    </message>
    <message>
        <source>Choosing the layers: the calibration text runs through the model, layer by layer</source>
        <translation>正在选择层：校准文本逐层流经模型</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Stop choosing (after the layer being scored); the plan stays, its layers unchosen</source>
        <translation>停止选择（在正在评分的层完成之后）；方案保留，但不选择层</translation>
    </message>
    <message>
        <source>Choose layers</source>
        <translation>选择层</translation>
    </message>
    <message>
        <source>Run the layer choice for the current targets</source>
        <translation>为当前目标运行层选择</translation>
    </message>
    <message>
        <source>No model open</source>
        <translation>未打开模型</translation>
    </message>
    <message>
        <source>Open a model; when fewer decoder layers are asked for, this tab shows which layers go and why.</source>
        <translation>请打开一个模型；当要求减少解码器层时，此标签页显示移除哪些层及其原因。</translation>
    </message>
    <message numerus="yes">
        <source>All %n decoder layer(s) stay</source>
        <translation>
            <numerusform>全部 %n 个解码器层保留</numerusform>
        </translation>
    </message>
    <message>
        <source>Set Decoder layers on the right below {layers} to remove whole layers. This tab then shows each layer&apos;s score and which ones go: the layers that change the residual stream least.</source>
        <translation>将右侧的“解码器层”设为小于 {layers} 即可移除整层。此标签页随后显示每层的得分以及移除哪些层：即对残差流改变最小的层。</translation>
    </message>
    <message>
        <source>No layer choice for these targets</source>
        <translation>这些目标无法进行层选择</translation>
    </message>
    <message>
        <source>starting…</source>
        <translation>正在开始…</translation>
    </message>
    <message>
        <source>running the calibration text through the model to measure how much each layer changes the residual stream</source>
        <translation>让校准文本流经模型，测量每层对残差流的改变程度</translation>
    </message>
    <message>
        <source>scoring each layer by its output projections&apos; weights (no tokenizer)</source>
        <translation>按各层输出投影的权重为其评分（没有分词器）</translation>
    </message>
    <message>
        <source>Choosing layers: {total} → {kept} ({method})…</source>
        <translation>正在选择层：{total} → {kept}（{method}）…</translation>
    </message>
    <message>
        <source>Choosing which layers go: {how}. The window stays usable; the previews of the smaller model follow when it is done.</source>
        <translation>正在选择移除哪些层：{how}。窗口仍可使用；完成后显示缩小后模型的预览。</translation>
    </message>
    <message>
        <source>Layer choice cancelled</source>
        <translation>层选择已取消</translation>
    </message>
    <message>
        <source>Which layers go is chosen from the calibration text; Choose layers runs it again. Export and Measure choose them too, when they start.</source>
        <translation>移除哪些层根据校准文本选择；点击“选择层”可重新运行。导出和测量开始时也会选择。</translation>
    </message>
    <message>
        <source>Cannot choose the layers</source>
        <translation>无法选择层</translation>
    </message>
    <message>
        <source>; layer {layer} absorbs {removed}</source>
        <translation>；第 {layer} 层吸收 {removed}</translation>
    </message>
    <message numerus="yes">
        <source>Decoder layers {total} → {kept} ({method}): removes %n layer(s) {removed}</source>
        <translation>
            <numerusform>解码器层 {total} → {kept}（{method}）：移除 %n 层：{removed}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Score: {score}. The higher it is, the more the layer changes what flows through it; the %n lowest go, {what}{merged}.</source>
        <translation>
            <numerusform>得分：{score}。得分越高，该层对流经它的内容改变越大；得分最低的 %n 层被移除，{what}{merged}。</numerusform>
        </translation>
    </message>
    <message>
        <source>each layer&apos;s score: the lowest go</source>
        <translation>每层的得分：最低的被移除</translation>
    </message>
</context>
<context>
    <name>LossChart</name>
    <message>
        <source>tokens trained on</source>
        <extracomment>weight of the newest step in the running mean</extracomment>
        <translation>已训练的词元数</translation>
    </message>
    <message>
        <source>loss</source>
        <translation>损失</translation>
    </message>
    <message>
        <source>distillation loss (KL to the original), per step</source>
        <translation>蒸馏损失（相对原模型的 KL），每步</translation>
    </message>
</context>
<context>
    <name>MatrixView</name>
    <message>
        <source>The weight under the mouse: old unit → new unit</source>
        <translation>鼠标所指的权重：原单元 → 新单元</translation>
    </message>
    <message>
        <source>old {unit}</source>
        <translation>原{unit}</translation>
    </message>
    <message>
        <source>new {unit}</source>
        <translation>新{unit}</translation>
    </message>
    <message>
        <source>nothing to show</source>
        <translation>没有可显示的内容</translation>
    </message>
    <message>
        <source>{rows} old × {cols} new</source>
        <translation>{rows} 个原单元 × {cols} 个新单元</translation>
    </message>
    <message>
        <source>Hover over the matrix for the weight under the mouse: old unit → new unit</source>
        <translation>将鼠标悬停在矩阵上查看所指权重：原单元 → 新单元</translation>
    </message>
</context>
<context>
    <name>Measuring</name>
    <message>
        <source>cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>the original model, for perplexity before</source>
        <translation>原模型，用于计算缩减前的困惑度</translation>
    </message>
    <message>
        <source>choosing layers…</source>
        <translation>正在选择层…</translation>
    </message>
    <message>
        <source>choosing layers: {stage}</source>
        <translation>正在选择层：{stage}</translation>
    </message>
    <message>
        <source>layer {layer} of {layers}</source>
        <translation>第 {layer} 层，共 {layers} 层</translation>
    </message>
    <message>
        <source>output head</source>
        <translation>输出头</translation>
    </message>
    <message>
        <source>pooled embeddings</source>
        <translation>池化嵌入</translation>
    </message>
    <message>
        <source>done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Measurement cancelled.</source>
        <translation>测量已取消。</translation>
    </message>
</context>
<context>
    <name>Menus</name>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Open file…</source>
        <translation>打开文件(&amp;O)…</translation>
    </message>
    <message>
        <source>Open a .safetensors file</source>
        <translation>打开 .safetensors 文件</translation>
    </message>
    <message>
        <source>Open &amp;folder…</source>
        <translation>打开文件夹(&amp;F)…</translation>
    </message>
    <message>
        <source>Open a model folder (config.json with single or sharded safetensors)</source>
        <translation>打开模型文件夹（config.json 以及单个或分片的 safetensors）</translation>
    </message>
    <message>
        <source>Open &amp;recent</source>
        <translation>最近打开(&amp;R)</translation>
    </message>
    <message>
        <source>Open from &amp;cache</source>
        <translation>从缓存打开(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Export…</source>
        <translation>导出(&amp;E)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>Open the last e&amp;xport</source>
        <translation>打开上次的导出(&amp;X)</translation>
    </message>
    <message>
        <source>Open the model this window exported last</source>
        <translation>打开此窗口上次导出的模型</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>撤销(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>重做(&amp;R)</translation>
    </message>
    <message>
        <source>Reset to the model&apos;s &amp;shape</source>
        <translation>恢复为模型原始形状(&amp;S)</translation>
    </message>
    <message>
        <source>Query heads, kv heads, head size and decoder layers back to the model&apos;s own; all layers; rotary pairs a progression</source>
        <translation>查询头、KV 头、头维度和解码器层恢复为模型自身的值；缩减全部层；旋转维度对取等差序列</translation>
    </message>
    <message>
        <source>&amp;Copy as command</source>
        <translation>复制为命令(&amp;C)</translation>
    </message>
    <message>
        <source>Copy the equivalent `headmix shrink …` command line</source>
        <translation>复制等效的 `headmix shrink …` 命令行</translation>
    </message>
    <message>
        <source>&amp;Presets</source>
        <translation>预设(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Keyboard shortcuts</source>
        <translation>键盘快捷键(&amp;K)</translation>
    </message>
    <message>
        <source>headmix &amp;README</source>
        <translation>headmix 说明文档(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;About headmix</source>
        <translation>关于 headmix(&amp;A)</translation>
    </message>
    <message>
        <source> or </source>
        <translation> 或 </translation>
    </message>
    <message>
        <source>Cancel the running export</source>
        <translation>取消正在进行的导出</translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <source>The README is not installed with this copy of headmix.</source>
        <translation>此 headmix 副本未安装 README。</translation>
    </message>
    <message>
        <source>headmix README</source>
        <translation>headmix 说明文档</translation>
    </message>
    <message>
        <source>About headmix</source>
        <translation>关于 headmix</translation>
    </message>
    <message>
        <source>headmix {version}
Shrinks transformer checkpoints by mixing attention heads: each new head a weighted combination of old heads, each new head dim a combination of old dims.</source>
        <translation>headmix {version}
通过混合注意力头来缩小 Transformer 检查点：每个新头是原有头的加权组合，每个新的头维度是原有维度的组合。</translation>
    </message>
</context>
<context>
    <name>Messages</name>
    <message>
        <source>Open the exported model</source>
        <translation>打开导出的模型</translation>
    </message>
    <message>
        <source>Open the smaller checkpoint in this window</source>
        <translation>在此窗口中打开缩小后的检查点</translation>
    </message>
    <message>
        <source>Open folder</source>
        <translation>打开文件夹</translation>
    </message>
    <message>
        <source>Show the folder in the file manager</source>
        <translation>在文件管理器中显示该文件夹</translation>
    </message>
    <message>
        <source>Cannot open the folder</source>
        <translation>无法打开文件夹</translation>
    </message>
    <message>
        <source>No file manager could be started to show {folder}.
The export is there; its path is now on the clipboard.</source>
        <translation>无法启动文件管理器来显示 {folder}。
导出结果就在那里；其路径已复制到剪贴板。</translation>
    </message>
</context>
<context>
    <name>Methods</name>
    <message numerus="yes">
        <source>The current targets ({shape}) with each method, measured on the same text ({tokens} tokens scored in %n window(s) of {window}). The highlighted row is the method in use; click another to use it.</source>
        <translation>
            <numerusform>当前目标（{shape}）使用每种方法，在同一文本上测量（%n 个窗口，每个 {window} 个词元，共计分 {tokens} 个词元）。高亮行是正在使用的方法；点击其他行即可改用。</numerusform>
        </translation>
    </message>
    <message>
        <source>⚠ marks a method measured on its calibration text: expect it to look better than on other text.</source>
        <translation>⚠ 标记在其校准文本上测量的方法：其结果会比在其他文本上显得更好。</translation>
    </message>
    <message>
        <source>method</source>
        <translation>方法</translation>
    </message>
    <message>
        <source>params</source>
        <translation>参数量</translation>
    </message>
    <message>
        <source>perplexity</source>
        <translation>困惑度</translation>
    </message>
    <message>
        <source>cosine</source>
        <translation>余弦相似度</translation>
    </message>
    <message>
        <source>× before</source>
        <translation>× 前</translation>
    </message>
    <message>
        <source>Perplexity of the shrunk model on the text (lower is better)</source>
        <translation>缩减后模型在文本上的困惑度（越低越好）</translation>
    </message>
    <message>
        <source>Mean cosine of pooled embeddings with the original (1 = unchanged)</source>
        <translation>池化嵌入与原模型的平均余弦相似度（1 = 未改变）</translation>
    </message>
    <message>
        <source>Perplexity after ÷ before</source>
        <translation>困惑度 后 ÷ 前</translation>
    </message>
    <message>
        <source>cannot build</source>
        <translation>无法构建</translation>
    </message>
    <message>
        <source>{method} cannot build these targets: {why}</source>
        <translation>{method} 无法构建这些目标：{why}</translation>
    </message>
    <message>
        <source>{method}: {params} parameters ({share}% of the original)</source>
        <translation>{method}：{params} 参数（原模型的 {share}%）</translation>
    </message>
    <message>
        <source>; in use</source>
        <translation>；正在使用</translation>
    </message>
    <message>
        <source>; click to use {method} for the targets</source>
        <translation>；点击以对目标使用 {method}</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>{method}: the measurement failed: {message}</source>
        <translation>{method}：测量失败：{message}</translation>
    </message>
    <message>
        <source>measuring…</source>
        <translation>正在测量…</translation>
    </message>
    <message>
        <source>waiting</source>
        <translation>等待中</translation>
    </message>
    <message>
        <source>perplexity {perplexity} ({ratio} the original)</source>
        <translation>困惑度 {perplexity}（原模型的 {ratio}）</translation>
    </message>
    <message>
        <source>cosine {cosine}</source>
        <translation>余弦相似度 {cosine}</translation>
    </message>
    <message>
        <source>Best here: {method}, {numbers}</source>
        <translation>此处最佳：{method}，{numbers}</translation>
    </message>
    <message numerus="yes">
        <source>; %n failed (hover for why)</source>
        <translation>
            <numerusform>；%n 个失败（悬停查看原因）</numerusform>
        </translation>
    </message>
    <message>
        <source>No method could be measured: hover over a row for why</source>
        <translation>没有方法能够测量：悬停在行上查看原因</translation>
    </message>
    <message>
        <source>Stopped before every method was measured: Compare methods again to finish</source>
        <translation>尚未测量完所有方法就已停止：再次“比较方法”以完成</translation>
    </message>
    <message>
        <source>Measuring: {done} of {total} done</source>
        <translation>测量中：已完成 {done} / {total}</translation>
    </message>
</context>
<context>
    <name>Opening</name>
    <message>
        <source>Open checkpoint</source>
        <translation>打开检查点</translation>
    </message>
    <message>
        <source>Checkpoints (*.safetensors *.json);;All files (*)</source>
        <translation>检查点 (*.safetensors *.json);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Open model folder</source>
        <translation>打开模型文件夹</translation>
    </message>
    <message>
        <source>Cannot open checkpoint</source>
        <translation>无法打开检查点</translation>
    </message>
    <message>
        <source>Layers to shrink: &apos;all&apos;, or numbers and ranges such as {example}; this model has layers {range}</source>
        <translation>要缩减的层：“all”，或编号与范围，例如 {example}；此模型的层为 {range}</translation>
    </message>
    <message>
        <source>all, or e.g. {example}</source>
        <translation>all，或例如 {example}</translation>
    </message>
    <message>
        <source>this model has no tokenizer.json to read a calibration text with</source>
        <translation>此模型没有 tokenizer.json，无法读取校准文本</translation>
    </message>
    <message numerus="yes">
        <source>%n problem(s), listed on the left</source>
        <translation>
            <numerusform>%n 个问题，列在左侧</numerusform>
        </translation>
    </message>
    <message>
        <source>Cannot shrink: {reason}</source>
        <translation>无法缩减：{reason}</translation>
    </message>
    <message>
        <source>nothing to export</source>
        <translation>没有可导出的内容</translation>
    </message>
    <message>
        <source>no attention recognised</source>
        <translation>未识别出注意力结构</translation>
    </message>
    <message numerus="yes">
        <source>%n head(s)</source>
        <translation>
            <numerusform>%n 个头</numerusform>
        </translation>
    </message>
    <message>
        <source> / {kv} kv</source>
        <translation> / {kv} 个 KV 头</translation>
    </message>
    <message numerus="yes">
        <source>&lt;b&gt;{name}&lt;/b&gt; — {arch}: %n layer(s), hidden {hidden}, {heads}, head size {head_dim}{rope}&lt;br&gt;{params} parameters, {dtype}, {size} on disk</source>
        <translation>
            <numerusform>&lt;b&gt;{name}&lt;/b&gt; — {arch}：%n 层，隐藏维度 {hidden}，{heads}，头维度 {head_dim}{rope}&lt;br&gt;{params} 参数，{dtype}，磁盘占用 {size}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n problem(s), listed below</source>
        <translation>
            <numerusform>%n 个问题，列在下方</numerusform>
        </translation>
    </message>
    <message>
        <source>importance %v/%m layers</source>
        <translation>重要性 %v/%m 层</translation>
    </message>
    <message>
        <source>Importance scores failed: {message}</source>
        <translation>重要性得分计算失败：{message}</translation>
    </message>
</context>
<context>
    <name>PairChart</name>
    <message>
        <source>original</source>
        <translation>原模型</translation>
    </message>
    <message>
        <source>shrunk</source>
        <translation>缩减后</translation>
    </message>
    <message>
        <source>healed</source>
        <translation>修复后</translation>
    </message>
</context>
<context>
    <name>PlanText</name>
    <message>
        <source> step {step}</source>
        <translation>，步长 {step}</translation>
    </message>
    <message>
        <source>not {runtimes}</source>
        <translation>不支持 {runtimes}</translation>
    </message>
    <message>
        <source> or </source>
        <translation> 或 </translation>
    </message>
    <message>
        <source>progression from pair {pair}: a linear factor, {unread}</source>
        <translation>从第 {pair} 对开始的等差序列：线性因子，{unread}</translation>
    </message>
    <message>
        <source>progression: plain rope, no longrope needed</source>
        <translation>等差序列：普通 RoPE，无需 longrope</translation>
    </message>
    <message>
        <source>progression: plain rope</source>
        <translation>等差序列：普通 RoPE</translation>
    </message>
    <message>
        <source>any subset: longrope, {unread}</source>
        <translation>任意子集：longrope，{unread}</translation>
    </message>
    <message>
        <source>any subset: longrope</source>
        <translation>任意子集：longrope</translation>
    </message>
    <message>
        <source>Keeps rotary pairs {pairs} of {half} ({kind})</source>
        <translation>保留旋转维度对 {pairs}，共 {half} 对（{kind}）</translation>
    </message>
    <message>
        <source>the best progression, {pairs}, scores {percent} of these</source>
        <translation>最佳等差序列 {pairs} 的得分为这些的 {percent}</translation>
    </message>
    <message>
        <source>any subset would score {percent} more (longrope: {unread})</source>
        <translation>任意子集的得分会高 {percent}（longrope：{unread}）</translation>
    </message>
    <message>
        <source>any subset would score {percent} more (longrope)</source>
        <translation>任意子集的得分会高 {percent}（longrope）</translation>
    </message>
    <message>
        <source>from pair {pair}, {pairs} would score {percent} more (a linear factor: {unread})</source>
        <translation>从第 {pair} 对开始的 {pairs} 得分会高 {percent}（线性因子：{unread}）</translation>
    </message>
    <message>
        <source>output projection refitted</source>
        <translation>已重新拟合输出投影</translation>
    </message>
    <message>
        <source>refit not kept: it did not help</source>
        <translation>未保留重新拟合：没有改善</translation>
    </message>
    <message>
        <source>calibration fit error {before} → {after} ({how})</source>
        <translation>校准拟合误差 {before} → {after}（{how}）</translation>
    </message>
    <message>
        <source>calibrating: reading the calibration text</source>
        <translation>校准：正在读取校准文本</translation>
    </message>
    <message>
        <source>, then layers 1–{upto}</source>
        <translation>，然后第 1–{upto} 层</translation>
    </message>
    <message>
        <source>calibrating: scoring rotary pairs, layer {layer} of {layers}{then}</source>
        <translation>校准：正在为旋转维度对评分，第 {layer} 层，共 {layers} 层{then}</translation>
    </message>
    <message>
        <source>calibrating layers 1–{upto} of {layers} (up to the layer shown): layer {layer}</source>
        <translation>校准第 1–{upto} 层，共 {layers} 层（直到所显示的层）：第 {layer} 层</translation>
    </message>
    <message>
        <source>calibrated layers 1–{upto} of {layers}</source>
        <translation>已校准第 1–{upto} 层，共 {layers} 层</translation>
    </message>
    <message>
        <source>calibrating: layer {layer} of {layers}</source>
        <translation>校准：第 {layer} 层，共 {layers} 层</translation>
    </message>
    <message>
        <source>layers calibrated: {layers}</source>
        <translation>已校准的层：{layers}</translation>
    </message>
</context>
<context>
    <name>Presets</name>
    <message>
        <source>Apply last preset again ({name})</source>
        <translation>再次应用上次的预设（{name}）</translation>
    </message>
    <message>
        <source>Apply last preset again</source>
        <translation>再次应用上次的预设</translation>
    </message>
    <message>
        <source>The preset applied last time, to this model (never applied by itself)</source>
        <translation>上次应用的预设，应用于此模型（从不自动应用）</translation>
    </message>
    <message>
        <source>Built-in</source>
        <translation>内置</translation>
    </message>
    <message>
        <source>Yours</source>
        <translation>我的</translation>
    </message>
    <message>
        <source>&amp;Load preset file…</source>
        <translation>加载预设文件(&amp;L)…</translation>
    </message>
    <message>
        <source>&amp;Save current settings as preset…</source>
        <translation>将当前设置保存为预设(&amp;S)…</translation>
    </message>
    <message>
        <source>&amp;Delete preset</source>
        <translation>删除预设(&amp;D)</translation>
    </message>
    <message>
        <source>Preset</source>
        <translation>预设</translation>
    </message>
    <message>
        <source>Open a checkpoint whose attention headmix recognises first.</source>
        <translation>请先打开一个 headmix 能识别其注意力结构的检查点。</translation>
    </message>
    <message>
        <source>Preset does not fit this model</source>
        <translation>预设不适用于此模型</translation>
    </message>
    <message>
        <source>Preset: {name}; it asks for {tokens} calibration tokens, the window calibrates on at most {most} (the command line takes more)</source>
        <translation>预设：{name}；它要求 {tokens} 个校准词元，窗口最多用 {most} 个校准（命令行可以更多）</translation>
    </message>
    <message>
        <source>Preset: {name}</source>
        <translation>预设：{name}</translation>
    </message>
    <message>
        <source>Load preset</source>
        <translation>加载预设</translation>
    </message>
    <message>
        <source>Presets (*.json)</source>
        <translation>预设 (*.json)</translation>
    </message>
    <message>
        <source>Cannot load preset</source>
        <translation>无法加载预设</translation>
    </message>
    <message>
        <source>Replace preset?</source>
        <translation>替换预设？</translation>
    </message>
    <message>
        <source>A preset named “{name}” already exists. Replace it?</source>
        <translation>已存在名为“{name}”的预设。要替换它吗？</translation>
    </message>
    <message>
        <source>Replace</source>
        <translation>替换</translation>
    </message>
    <message>
        <source>Cannot save preset</source>
        <translation>无法保存预设</translation>
    </message>
    <message>
        <source>Saved preset {path}</source>
        <translation>已保存预设 {path}</translation>
    </message>
    <message>
        <source>Delete preset?</source>
        <translation>删除预设？</translation>
    </message>
    <message>
        <source>Delete your preset “{name}”?</source>
        <translation>删除你的预设“{name}”？</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Cannot delete preset</source>
        <translation>无法删除预设</translation>
    </message>
</context>
<context>
    <name>Preview</name>
    <message>
        <source> · Calibrate runs it again</source>
        <translation> · 点击“校准”重新运行</translation>
    </message>
    <message>
        <source>calibrating… (progress below)</source>
        <translation>正在校准…（进度见下方）</translation>
    </message>
    <message>
        <source>waiting for the head scores of the smaller model</source>
        <translation>正在等待缩小后模型的头得分</translation>
    </message>
    <message>
        <source>waiting for importance scores ({done}/{total} layers)</source>
        <translation>正在等待重要性得分（{done}/{total} 层）</translation>
    </message>
    <message>
        <source>unchanged (identity)</source>
        <translation>未改变（恒等）</translation>
    </message>
    <message>
        <source>choosing layers…</source>
        <translation>正在选择层…</translation>
    </message>
    <message>
        <source>removed: no matrices</source>
        <translation>已移除：没有矩阵</translation>
    </message>
    <message>
        <source> (averaged into layer {layer})</source>
        <translation>（已平均合并到第 {layer} 层）</translation>
    </message>
    <message>
        <source>Layer {source} → {kept}</source>
        <translation>第 {source} 层 → 第 {kept} 层</translation>
    </message>
    <message>
        <source>layer unchanged by these targets: after = before</source>
        <translation>该层未被这些目标改变：后 = 前</translation>
    </message>
    <message>
        <source>layer {layer}: computing…</source>
        <translation>第 {layer} 层：正在计算…</translation>
    </message>
    <message>
        <source>layer {layer}: {why}</source>
        <translation>第 {layer} 层：{why}</translation>
    </message>
    <message>
        <source>layer {layer}</source>
        <translation>第 {layer} 层</translation>
    </message>
    <message>
        <source>layer {layer} (→ {kept})</source>
        <translation>第 {layer} 层（→ {kept}）</translation>
    </message>
    <message>
        <source>reading head scores…</source>
        <translation>正在读取头得分…</translation>
    </message>
    <message>
        <source>{layer}: unchanged by these targets</source>
        <translation>{layer}：未被这些目标改变</translation>
    </message>
    <message>
        <source>score</source>
        <translation>得分</translation>
    </message>
</context>
<context>
    <name>PreviewPanel</name>
    <message>
        <source>head</source>
        <extracomment>the core&apos;s heatmap keys, with the axis labels each one&apos;s rows and columns get (translated where shown)</extracomment>
        <translation>头</translation>
    </message>
    <message>
        <source>kv head</source>
        <translation>KV 头</translation>
    </message>
    <message>
        <source>dim</source>
        <translation>维度</translation>
    </message>
    <message>
        <source>Weights before → after</source>
        <translation>权重 前 → 后</translation>
    </message>
    <message>
        <source>Swap the mixing matrices for one of this layer&apos;s weights, before and after the shrink</source>
        <translation>把混合矩阵换成该层某个权重缩减前后的对比</translation>
    </message>
    <message>
        <source>Which projection to show before and after</source>
        <translation>显示哪个投影的前后对比</translation>
    </message>
    <message>
        <source>Mixing matrices</source>
        <extracomment>the tab names, and shorter ones for a pane too narrow for the long ones (Qt would scroll the tabs) (English, translated where shown)</extracomment>
        <translation>混合矩阵</translation>
    </message>
    <message>
        <source>Each column is a new unit, each row an old one: the weight with which the old one enters</source>
        <translation>每一列是一个新单元，每一行是一个旧单元：值为旧单元进入新单元的权重</translation>
    </message>
    <message>
        <source>Head importance</source>
        <translation>头重要性</translation>
    </message>
    <message>
        <source>Data-free importance of the selected layer&apos;s query heads</source>
        <translation>所选层查询头的重要性（无需数据）</translation>
    </message>
    <message>
        <source>Layer scores</source>
        <translation>层得分</translation>
    </message>
    <message>
        <source>With fewer decoder layers: each layer&apos;s score and which layers go</source>
        <translation>减少解码器层时：每层的得分以及移除哪些层</translation>
    </message>
    <message>
        <source>Tensor values</source>
        <translation>张量数值</translation>
    </message>
    <message>
        <source>Histogram and statistics of the tensor picked in the tree</source>
        <translation>树中所选张量的直方图和统计</translation>
    </message>
    <message>
        <source>Quality</source>
        <translation>质量</translation>
    </message>
    <message>
        <source>What the current targets do to the model on a text: perplexity before → after and the error layer by layer, measured without exporting</source>
        <translation>当前目标在一段文本上对模型的影响：困惑度 前 → 后以及逐层误差，无需导出即可测量</translation>
    </message>
    <message>
        <source>Heal</source>
        <translation>修复</translation>
    </message>
    <message>
        <source>The heal&apos;s distillation loss, step by step</source>
        <translation>修复的蒸馏损失，逐步显示</translation>
    </message>
    <message>
        <source>Mixing</source>
        <translation>混合</translation>
    </message>
    <message>
        <source>Importance</source>
        <translation>重要性</translation>
    </message>
    <message>
        <source>Layers</source>
        <translation>层</translation>
    </message>
    <message>
        <source>Values</source>
        <translation>数值</translation>
    </message>
    <message>
        <source>Layer {layer}</source>
        <translation>第 {layer} 层</translation>
    </message>
    <message>
        <source>head · dim</source>
        <translation>头 · 维度</translation>
    </message>
    <message>
        <source>before: {what}</source>
        <translation>缩减前：{what}</translation>
    </message>
    <message>
        <source>after: {what}</source>
        <translation>缩减后：{what}</translation>
    </message>
    <message>
        <source>nothing to show</source>
        <translation>没有可显示的内容</translation>
    </message>
    <message>
        <source>{name}: rows are its units (head · dim); each new row sits beside the old row it comes from, on one colour scale</source>
        <translation>{name}：行是它的单元（头 · 维度）；每个新行与其来源的旧行并排显示，使用同一色标</translation>
    </message>
</context>
<context>
    <name>ProblemsList</name>
    <message>
        <source>What headmix found wrong with this checkpoint</source>
        <extracomment>rows shown at most; more scroll</extracomment>
        <translation>headmix 在此检查点中发现的问题</translation>
    </message>
</context>
<context>
    <name>Quality</name>
    <message>
        <source>Quality measured: </source>
        <extracomment>the status bar says this when a measurement ends; a new plan clears it</extracomment>
        <translation>质量已测量：</translation>
    </message>
    <message>
        <source>fewer heads</source>
        <translation>减少头</translation>
    </message>
    <message>
        <source>fewer layers</source>
        <translation>减少层</translation>
    </message>
    <message>
        <source>Set head targets, or fewer decoder layers (not both), to compare them</source>
        <translation>设置头目标或减少解码器层（不能同时），才能比较它们</translation>
    </message>
    <message>
        <source>calibration text: {problem}</source>
        <translation>校准文本：{problem}</translation>
    </message>
    <message>
        <source>Fix the highlighted target first: there is nothing to compare</source>
        <translation>请先修正高亮的目标：没有可比较的内容</translation>
    </message>
    <message>
        <source>Method: {method}</source>
        <translation>方法：{method}</translation>
    </message>
    <message>
        <source>Choose a text to measure on</source>
        <translation>选择用于测量的文本</translation>
    </message>
    <message>
        <source>Text files (*.txt *.md *.rst);;All files (*)</source>
        <translation>文本文件 (*.txt *.md *.rst);;所有文件 (*)</translation>
    </message>
</context>
<context>
    <name>QualityWords</name>
    <message>
        <source>Default text</source>
        <translation>默认文本</translation>
    </message>
    <message>
        <source>⚠ measured on the calibration text: expect it to look better than on other text</source>
        <extracomment>perplexities further apart than this factor are drawn on a log axis</extracomment>
        <translation>⚠ 在校准文本上测量：结果会比在其他文本上显得更好</translation>
    </message>
    <message>
        <source>{kept} of {total} decoder layers</source>
        <translation>{total} 个解码器层中的 {kept} 个</translation>
    </message>
    <message>
        <source>all layers</source>
        <translation>全部层</translation>
    </message>
    <message>
        <source>no layer changed</source>
        <translation>未改变任何层</translation>
    </message>
    <message>
        <source>layers {layers}</source>
        <translation>第 {layers} 层</translation>
    </message>
    <message>
        <source>perplexity {before} → {after} ({ratio})</source>
        <translation>困惑度 {before} → {after}（{ratio}）</translation>
    </message>
    <message>
        <source>embedding cosine {cosine}</source>
        <translation>嵌入余弦相似度 {cosine}</translation>
    </message>
    <message>
        <source>{main}, final hidden-state error {error}</source>
        <translation>{main}，最终隐藏状态误差 {error}</translation>
    </message>
</context>
<context>
    <name>Rendering</name>
    <message>
        <source>Cannot show the quality check</source>
        <translation>无法显示质量检查</translation>
    </message>
    <message>
        <source>Already measured for these targets on this text</source>
        <translation>这些目标已在此文本上测量过</translation>
    </message>
    <message>
        <source>Run the original and the shrunk model side by side on the text, without exporting</source>
        <translation>在文本上并排运行原模型和缩减后的模型，无需导出</translation>
    </message>
    <message>
        <source>original English prose shipped with headmix</source>
        <translation>headmix 自带的英文原创文章</translation>
    </message>
    <message>
        <source>{tokens} tokens of {what}</source>
        <translation>{what}，共 {tokens} 个词元</translation>
    </message>
    <message>
        <source>{what}: {tokens} tokens</source>
        <translation>{what}：{tokens} 个词元</translation>
    </message>
    <message numerus="yes">
        <source>%n window(s) of {window} tokens, {scored} scored</source>
        <translation>
            <numerusform>%n 个窗口，每个 {window} 个词元，计分 {scored} 个</numerusform>
        </translation>
    </message>
    <message>
        <source>, each after {bos}</source>
        <translation>，每个窗口以 {bos} 开头</translation>
    </message>
    <message>
        <source>{words} words of {what}</source>
        <translation>{what}，共 {words} 个词</translation>
    </message>
    <message>
        <source>Original English prose shipped with headmix</source>
        <translation>headmix 自带的英文原创文章</translation>
    </message>
    <message>
        <source>reading the text…</source>
        <translation>正在读取文本…</translation>
    </message>
    <message>
        <source>No model open</source>
        <translation>未打开模型</translation>
    </message>
    <message>
        <source>Open a model to measure what a shrink does to it.</source>
        <translation>打开一个模型，测量缩减对它的影响。</translation>
    </message>
    <message>
        <source>Cannot measure this model</source>
        <translation>无法测量此模型</translation>
    </message>
    <message>
        <source>headmix does not recognise this model&apos;s attention, so there is no shrink to measure.</source>
        <translation>headmix 无法识别此模型的注意力结构，因此没有可测量的缩减。</translation>
    </message>
    <message>
        <source>Quality check unavailable for this model</source>
        <translation>此模型无法进行质量检查</translation>
    </message>
    <message>
        <source>{why}.

Everything else works as before: the shrink can still be planned and exported.</source>
        <translation>{why}。

其他一切照常：仍可规划和导出缩减。</translation>
    </message>
    <message>
        <source>Reading the text…</source>
        <translation>正在读取文本…</translation>
    </message>
    <message>
        <source>Tokenising the text with this model&apos;s tokenizer.</source>
        <translation>正在用此模型的分词器对文本分词。</translation>
    </message>
    <message>
        <source>Cannot use this text</source>
        <translation>无法使用此文本</translation>
    </message>
    <message>
        <source>{problem}

Choose another file, or the default text.</source>
        <translation>{problem}

请选择其他文件，或使用默认文本。</translation>
    </message>
    <message>
        <source>Not measured</source>
        <translation>尚未测量</translation>
    </message>
    <message>
        <source>These targets cannot be built: fix the highlighted target on the right first.</source>
        <translation>无法构建这些目标：请先修正右侧高亮的目标。</translation>
    </message>
    <message numerus="yes">
        <source>Measure runs the original model and the shrunk one side by side on the text, layer by layer, without exporting: %n window(s) of {window} tokens, {scored} tokens scored.</source>
        <translation>
            <numerusform>“测量”在文本上逐层并排运行原模型和缩减后的模型，无需导出：%n 个窗口，每个 {window} 个词元，计分 {scored} 个词元。</numerusform>
        </translation>
    </message>
    <message>
        <source>Last measured, for other targets ({targets}): {numbers}. These numbers are not for the current targets.</source>
        <translation>上次测量的是其他目标（{targets}）：{numbers}。这些数值不属于当前目标。</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>Stopping after the layer being computed.</source>
        <translation>将在正在计算的层完成后停止。</translation>
    </message>
    <message>
        <source>Measuring {targets}…</source>
        <translation>正在测量 {targets}…</translation>
    </message>
    <message numerus="yes">
        <source>Running the original and the shrunk model side by side on the text: %n window(s) of {window} tokens. The window stays usable.</source>
        <translation>
            <numerusform>正在文本上并排运行原模型和缩减后的模型：%n 个窗口，每个 {window} 个词元。窗口仍可正常使用。</numerusform>
        </translation>
    </message>
    <message>
        <source>Not measured for these targets</source>
        <translation>这些目标尚未测量</translation>
    </message>
    <message>
        <source>A measurement of other targets ({targets}) is running; its result will be kept for when you go back to them.</source>
        <translation>正在测量其他目标（{targets}）；结果会保留，供你回到那些目标时查看。</translation>
    </message>
    <message>
        <source>Measurement failed</source>
        <translation>测量失败</translation>
    </message>
    <message>
        <source> in {seconds} s</source>
        <translation>，用时 {seconds} 秒</translation>
    </message>
    <message>
        <source>Measured for these targets{seconds}</source>
        <translation>已为这些目标测量{seconds}</translation>
    </message>
    <message>
        <source>Measured{seconds}: these targets change no layer</source>
        <translation>已测量{seconds}：这些目标不改变任何层</translation>
    </message>
    <message>
        <source>Whole layers removed ({kept} of {total} stay) and heads unchanged: perplexity says what it costs</source>
        <translation>移除了整层（{total} 层中保留 {kept} 层），头未改变：代价见困惑度</translation>
    </message>
    <message>
        <source>Worst layers of the smaller model: {layers}</source>
        <translation>缩小后模型中误差最大的层：{layers}</translation>
    </message>
    <message>
        <source>Worst layers: {layers}</source>
        <translation>误差最大的层：{layers}</translation>
    </message>
    <message>
        <source>No layer is changed by these targets: before = after.</source>
        <translation>这些目标不改变任何层：前 = 后。</translation>
    </message>
    <message>
        <source>Relative error of the final hidden states from the head targets, within the {layers}-layer model: {error}</source>
        <translation>头目标造成的最终隐藏状态相对误差（在 {layers} 层模型内）：{error}</translation>
    </message>
    <message>
        <source>Relative error of the final hidden states: {error}</source>
        <translation>最终隐藏状态的相对误差：{error}</translation>
    </message>
    <message>
        <source>Perplexity {before} → {after} ({ratio})</source>
        <translation>困惑度 {before} → {after}（{ratio}）</translation>
    </message>
    <message>
        <source>perplexity on {tokens} tokens (lower is better)</source>
        <translation>{tokens} 个词元上的困惑度（越低越好）</translation>
    </message>
    <message>
        <source>perplexity, log scale</source>
        <translation>困惑度（对数刻度）</translation>
    </message>
    <message>
        <source>perplexity</source>
        <translation>困惑度</translation>
    </message>
    <message>
        <source>Embedding cosine with the original: {cosine} (1 = unchanged)</source>
        <translation>与原模型的嵌入余弦相似度：{cosine}（1 = 未改变）</translation>
    </message>
    <message>
        <source>mean cosine of pooled embeddings with the original (1 = unchanged)</source>
        <translation>池化嵌入与原模型的平均余弦相似度（1 = 未改变）</translation>
    </message>
    <message>
        <source>cosine</source>
        <translation>余弦相似度</translation>
    </message>
    <message>
        <source>layer by layer of the smaller model</source>
        <translation>缩小后模型的逐层情况</translation>
    </message>
    <message>
        <source>where the shrink hurts, layer by layer</source>
        <translation>逐层看缩减在哪里造成损失</translation>
    </message>
</context>
<context>
    <name>SavePresetDialog</name>
    <message>
        <source>{what} kept</source>
        <translation>{what}保持不变</translation>
    </message>
    <message>
        <source>{what} {value}</source>
        <translation>{what} {value}</translation>
    </message>
    <message>
        <source>query heads</source>
        <translation>查询头</translation>
    </message>
    <message>
        <source>kv heads</source>
        <translation>KV 头</translation>
    </message>
    <message>
        <source>head size</source>
        <translation>头维度</translation>
    </message>
    <message>
        <source>decoder layers</source>
        <translation>解码器层</translation>
    </message>
    <message>
        <source>, </source>
        <translation>，</translation>
    </message>
    <message>
        <source>Save preset</source>
        <translation>保存预设</translation>
    </message>
    <message>
        <source>e.g. my shrink</source>
        <translation>例如：我的缩减方案</translation>
    </message>
    <message>
        <source>Your presets are listed under Presets → Yours; a built-in preset&apos;s name is taken</source>
        <translation>你的预设列在“预设 → 我的”下；内置预设的名称不可使用</translation>
    </message>
    <message>
        <source>Save the targets as fractions of this model&apos;s shape</source>
        <translation>按此模型形状的比例保存目标</translation>
    </message>
    <message>
        <source>Fractions (query heads 2/3, decoder layers 4/5) apply to a model of any size, as the command line&apos;s --heads 1/2 does; unticked, the preset holds the counts shown</source>
        <translation>比例（查询头 2/3、解码器层 4/5）适用于任意大小的模型，与命令行的 --heads 1/2 相同；不勾选时，预设保存当前显示的数量</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <source>Type a name for the preset.</source>
        <translation>请输入预设名称。</translation>
    </message>
    <message>
        <source>“{name}” is the name of a built-in preset ({builtin}): choose another name.</source>
        <translation>“{name}”是内置预设（{builtin}）的名称：请换一个名称。</translation>
    </message>
    <message>
        <source>Saves: {what}</source>
        <translation>将保存：{what}</translation>
    </message>
</context>
<context>
    <name>SessionText</name>
    <message>
        <source>no model whose attention headmix recognises is open</source>
        <extracomment>copies of every template the session words, for lupdate (tests check the session&apos;s are all here)</extracomment>
        <translation>没有打开 headmix 能识别其注意力结构的模型</translation>
    </message>
    <message>
        <source>no model</source>
        <translation>没有模型</translation>
    </message>
    <message>
        <source>this model has no rotary embeddings</source>
        <translation>此模型没有旋转位置编码</translation>
    </message>
    <message>
        <source>this model rotates only part of each head, so its head size does not shrink by pairs</source>
        <translation>此模型只旋转每个头的一部分，因此其头维度不按维度对缩减</translation>
    </message>
    <message>
        <source>{family} loads only a plain rope, so a smaller head size keeps a progression of pairs</source>
        <translation>{family} 只能加载普通 RoPE，因此较小的头维度保留等差序列的维度对</translation>
    </message>
    <message>
        <source>the head size does not shrink</source>
        <translation>头维度没有缩减</translation>
    </message>
    <message>
        <source>article mixes rotary dims instead of keeping pairs</source>
        <translation>article 方法混合旋转维度，而不是保留维度对</translation>
    </message>
    <message>
        <source>this model has no tokenizer.json to read a text with</source>
        <translation>此模型没有 tokenizer.json，无法读取文本</translation>
    </message>
    <message>
        <source>only the calibrated method and fewer decoder layers read it</source>
        <translation>只有 calibrated 方法和减少解码器层时才会读取它</translation>
    </message>
    <message>
        <source>Open a checkpoint whose attention headmix recognises first.</source>
        <translation>请先打开一个 headmix 能识别其注意力结构的检查点。</translation>
    </message>
    <message>
        <source>no targets to save: open a model whose attention headmix recognises first</source>
        <translation>没有可保存的目标：请先打开一个 headmix 能识别其注意力结构的模型</translation>
    </message>
    <message>
        <source>query heads</source>
        <translation>查询头</translation>
    </message>
    <message>
        <source>kv heads</source>
        <translation>KV 头</translation>
    </message>
    <message>
        <source>head size</source>
        <translation>头维度</translation>
    </message>
    <message>
        <source>method</source>
        <translation>方法</translation>
    </message>
    <message>
        <source>seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <source>layers</source>
        <translation>层</translation>
    </message>
    <message>
        <source>decoder layers</source>
        <translation>解码器层</translation>
    </message>
    <message>
        <source>layer method</source>
        <translation>层方法</translation>
    </message>
    <message>
        <source>rotary pairs</source>
        <translation>旋转维度对</translation>
    </message>
    <message>
        <source>calibration text</source>
        <translation>校准文本</translation>
    </message>
    <message>
        <source>calibration tokens</source>
        <translation>校准词元数</translation>
    </message>
    <message>
        <source>default text</source>
        <translation>默认文本</translation>
    </message>
    <message>
        <source>{field} {before} → {after}</source>
        <translation>{field} {before} → {after}</translation>
    </message>
    <message>
        <source>targets {fields}</source>
        <translation>目标 {fields}</translation>
    </message>
    <message>
        <source>internal error: {kind}: {message}</source>
        <translation>内部错误：{kind}：{message}</translation>
    </message>
    <message>
        <source>, </source>
        <translation>、</translation>
    </message>
</context>
<context>
    <name>StatusRow</name>
    <message>
        <source>The calibration text runs through the model layer by layer; each layer is fitted on what leaves the already-shrunk layers before it</source>
        <translation>校准文本逐层流经模型；每一层都根据其前面已缩减各层的输出进行拟合</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Stop calibrating (after the layer being fitted); the targets stay as they are</source>
        <translation>停止校准（在正在拟合的层完成之后）；目标保持不变</translation>
    </message>
    <message>
        <source>Calibrate</source>
        <translation>校准</translation>
    </message>
    <message>
        <source>Run the calibration for the current targets, to draw their matrices</source>
        <translation>为当前目标运行校准，以绘制其矩阵</translation>
    </message>
</context>
<context>
    <name>Targets</name>
    <message>
        <source>Fix the highlighted target.</source>
        <translation>请修正高亮的目标。</translation>
    </message>
    <message>
        <source>Decoder layers: {total}</source>
        <translation>解码器层：{total}</translation>
    </message>
    <message>
        <source>no plan for these targets</source>
        <translation>这些目标没有方案</translation>
    </message>
    <message>
        <source>invalid targets</source>
        <translation>目标无效</translation>
    </message>
    <message>
        <source>calibration text {problem}</source>
        <translation>校准文本{problem}</translation>
    </message>
    <message>
        <source>Choose a calibration text</source>
        <translation>选择校准文本</translation>
    </message>
    <message>
        <source>Text files (*.txt *.md *.rst);;All files (*)</source>
        <translation>文本文件 (*.txt *.md *.rst);;所有文件 (*)</translation>
    </message>
    <message>
        <source>&amp;Undo {what}</source>
        <translation>撤销 {what}(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Redo {what}</source>
        <translation>重做 {what}(&amp;R)</translation>
    </message>
    <message>
        <source>Fix the highlighted target first: there is no command for it</source>
        <translation>请先修正高亮的目标：它没有对应的命令</translation>
    </message>
    <message>
        <source>Copied: {line}</source>
        <translation>已复制：{line}</translation>
    </message>
    <message>
        <source>No model open</source>
        <translation>未打开模型</translation>
    </message>
    <message>
        <source>{name} · {arch} · read-only</source>
        <translation>{name} · {arch} · 只读</translation>
    </message>
    <message>
        <source>attention not recognised</source>
        <translation>无法识别注意力结构</translation>
    </message>
    <message>
        <source>{name} · {arch} {heads}×{head_dim}, kv {kv} · invalid targets</source>
        <translation>{name} · {arch} {heads}×{head_dim}，KV {kv} · 目标无效</translation>
    </message>
    <message>
        <source>all layers</source>
        <translation>全部层</translation>
    </message>
    <message>
        <source>layers {layers}</source>
        <translation>第 {layers} 层</translation>
    </message>
    <message>
        <source>decoder layers {total} → {kept} ({method})</source>
        <translation>解码器层 {total} → {kept}（{method}）</translation>
    </message>
    <message>
        <source>{name} · {arch} {heads}×{head_dim}, kv {kv} → {new_heads}×{new_head_dim}, kv {new_kv} · {method} · {layers} · {saved}% smaller</source>
        <translation>{name} · {arch} {heads}×{head_dim}，KV {kv} → {new_heads}×{new_head_dim}，KV {new_kv} · {method} · {layers} · 缩小 {saved}%</translation>
    </message>
    <message>
        <source> · choosing layers</source>
        <translation> · 正在选择层</translation>
    </message>
    <message>
        <source> · calibrating</source>
        <translation> · 正在校准</translation>
    </message>
    <message>
        <source> · exporting</source>
        <translation> · 正在导出</translation>
    </message>
    <message>
        <source>{arch}: {heads}×{head_dim} → {new_heads}×{new_head_dim} heads, kv {kv} → {new_kv}</source>
        <translation>{arch}：头 {heads}×{head_dim} → {new_heads}×{new_head_dim}，KV {kv} → {new_kv}</translation>
    </message>
</context>
<context>
    <name>TargetsPanel</name>
    <message>
        <source>Unavailable: {reason}</source>
        <translation>不可用：{reason}</translation>
    </message>
    <message>
        <source>progression</source>
        <extracomment>the rotary pairs choices: (value in the request, what the combo says, its tooltip), translated where shown</extracomment>
        <translation>等差序列</translation>
    </message>
    <message>
        <source>Keep an arithmetic progression of rotary pairs: written as a plain rope, which every runtime reads</source>
        <translation>保留成等差序列的旋转维度对：写为普通 RoPE，所有运行时都能读取</translation>
    </message>
    <message>
        <source>any subset</source>
        <translation>任意子集</translation>
    </message>
    <message>
        <source>Keep whichever pairs score best, even when they form no progression: longrope per-pair factors, exact in transformers and vLLM, not in llama.cpp or ollama create</source>
        <translation>保留得分最高的维度对，即使不成等差序列：使用 longrope 逐对因子，在 transformers 和 vLLM 中精确，在 llama.cpp 和 ollama create 中不支持</translation>
    </message>
    <message>
        <source>Default text</source>
        <translation>默认文本</translation>
    </message>
    <message>
        <source>Choose a file…</source>
        <extracomment>the last entry&apos;s data (its text is translated)</extracomment>
        <translation>选择文件…</translation>
    </message>
    <message>
        <source>Query heads per layer in the exported model (only values that can be built are offered)</source>
        <extracomment>calibration tokens the window offers (the core takes up to 4M; the window stays with what runs in minutes) &quot;leave this control as it is&quot; for set_values</extracomment>
        <translation>导出模型中每层的查询头数（只提供可以构建的值）</translation>
    </message>
    <message>
        <source>Key/value heads per layer; must divide the query heads (grouped-query attention)</source>
        <translation>每层的键/值头数；必须能整除查询头数（分组查询注意力）</translation>
    </message>
    <message>
        <source>Head size; with rotary embeddings it shrinks by whole rotary pairs</source>
        <translation>头维度；使用旋转位置编码时按整对旋转维度缩减</translation>
    </message>
    <message>
        <source>Which rotary pairs a smaller head size keeps (only when the head size shrinks on a model with rotary embeddings)</source>
        <translation>头维度变小时保留哪些旋转维度对（仅当使用旋转位置编码的模型缩减头维度时）</translation>
    </message>
    <message>
        <source>How new heads and dims are made from old ones</source>
        <translation>如何由旧的头和维度生成新的头和维度</translation>
    </message>
    <message>
        <source>Seed for the random and article methods: the same seed gives the same bytes</source>
        <translation>random 和 article 方法的随机种子：相同的种子得到相同的字节</translation>
    </message>
    <message>
        <source>Layers to shrink: &apos;all&apos;, or numbers and ranges such as 0-11,20</source>
        <translation>要缩减的层：“all”，或编号与范围，例如 0-11,20</translation>
    </message>
    <message>
        <source>Decoder layers in the exported model; fewer removes whole layers, chosen from the calibration text (or the weights, without a tokenizer)</source>
        <translation>导出模型中的解码器层数；减少时移除整层，依据校准文本选择（没有分词器时依据权重）</translation>
    </message>
    <message>
        <source>How the removed decoder layers go</source>
        <translation>被移除的解码器层如何处理</translation>
    </message>
    <message>
        <source>Calibrate on a UTF-8 text file of your own</source>
        <translation>用你自己的 UTF-8 文本文件校准</translation>
    </message>
    <message>
        <source> tokens</source>
        <translation> 个词元</translation>
    </message>
    <message>
        <source>Query heads</source>
        <translation>查询头</translation>
    </message>
    <message>
        <source>Key/value heads</source>
        <translation>键/值头</translation>
    </message>
    <message>
        <source>Head size</source>
        <translation>头维度</translation>
    </message>
    <message>
        <source>Rotary pairs</source>
        <translation>旋转维度对</translation>
    </message>
    <message>
        <source>Method</source>
        <translation>方法</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <source>Layers</source>
        <translation>缩减的层</translation>
    </message>
    <message>
        <source>Decoder layers</source>
        <translation>解码器层</translation>
    </message>
    <message>
        <source>Layer method</source>
        <translation>层方法</translation>
    </message>
    <message>
        <source>Calibration</source>
        <translation>校准</translation>
    </message>
    <message>
        <source>Targets</source>
        <translation>目标</translation>
    </message>
    <message>
        <source>Decoder layers before → after; which ones go is on the Layer scores tab</source>
        <translation>解码器层 前 → 后；移除哪些层见“层得分”标签页</translation>
    </message>
    <message>
        <source>Whether each runtime loads the export and computes what transformers computes</source>
        <translation>各运行时能否加载导出结果，并计算出与 transformers 相同的结果</translation>
    </message>
    <message>
        <source>Preview</source>
        <translation>预览</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Write the smaller checkpoint into a new folder (Ctrl+E)</source>
        <translation>将缩小后的检查点写入新文件夹（Ctrl+E）</translation>
    </message>
    <message>
        <source>Export progress, in bytes written</source>
        <translation>导出进度（按已写入字节计）</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Stop the export; nothing is left behind</source>
        <translation>停止导出；不会留下任何文件</translation>
    </message>
    <message>
        <source>Which rotary pairs a smaller head size keeps: an arithmetic progression (a plain rope every runtime reads) or any subset (longrope factors: transformers and vLLM only)</source>
        <translation>头维度变小时保留哪些旋转维度对：等差序列（普通 RoPE，所有运行时都能读取）或任意子集（longrope 因子：仅 transformers 和 vLLM）</translation>
    </message>
    <message>
        <source>The text the calibrated method fits each layer on, and that chooses which decoder layers go: headmix&apos;s default English prose, or a UTF-8 file of yours</source>
        <translation>calibrated 方法用来拟合每一层、并据以选择移除哪些解码器层的文本：headmix 默认的英文文章，或你自己的 UTF-8 文件</translation>
    </message>
    <message>
        <source>How many tokens of the calibration text are read, in windows of up to {window} (default {default})</source>
        <translation>读取校准文本的词元数，按最多 {window} 个词元的窗口切分（默认 {default}）</translation>
    </message>
    <message>
        <source>Not used here: {reason}</source>
        <translation>此处不使用：{reason}</translation>
    </message>
    <message>
        <source>The English prose that ships with headmix</source>
        <translation>headmix 自带的英文文章</translation>
    </message>
    <message>
        <source>Decoder layers in the exported model (this model has {layers}); fewer removes whole layers, chosen from the calibration text (or the weights, without a tokenizer)</source>
        <translation>导出模型中的解码器层数（此模型有 {layers} 层）；减少时移除整层，依据校准文本选择（没有分词器时依据权重）</translation>
    </message>
    <message>
        <source>Parameters: {count}</source>
        <translation>参数量：{count}</translation>
    </message>
    <message>
        <source>Size: {size}</source>
        <translation>大小：{size}</translation>
    </message>
    <message>
        <source>{percent}% smaller</source>
        <translation>缩小 {percent}%</translation>
    </message>
    <message>
        <source>⚠ {count} warnings (all under the targets): {first}</source>
        <translation>⚠ {count} 条警告（全部列在目标下方）：{first}</translation>
    </message>
    <message>
        <source>starting…</source>
        <translation>正在开始…</translation>
    </message>
</context>
<context>
    <name>Text</name>
    <message>
        <source>Tokens per window; each window is scored on its own, from a fresh context (default {window})</source>
        <translation>每个窗口的词元数；每个窗口从全新的上下文开始单独计分（默认 {window}）</translation>
    </message>
    <message>
        <source>; this model has {positions} learned positions</source>
        <translation>；此模型有 {positions} 个学习得到的位置</translation>
    </message>
    <message>
        <source>headmix&apos;s default text</source>
        <translation>headmix 的默认文本</translation>
    </message>
</context>
<context>
    <name>TreeModel</name>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Shape</source>
        <translation>形状</translation>
    </message>
    <message>
        <source>DType</source>
        <translation>数据类型</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Importance</source>
        <translation>重要性</translation>
    </message>
    <message>
        <source>{heads}×{dim} heads, kv {kv}</source>
        <extracomment>the widest text each column shows (the Name column is the tree&apos;s: wide enough for &quot;layer 29 → 23 (+ merged 24)&quot;)</extracomment>
        <translation>{heads}×{dim} 头，KV {kv}</translation>
    </message>
    <message>
        <source>{heads}×{dim} heads</source>
        <translation>{heads}×{dim} 头</translation>
    </message>
    <message>
        <source>becomes layer {layer} of the smaller model</source>
        <translation>成为缩小后模型的第 {layer} 层</translation>
    </message>
    <message>
        <source>; layers {layers} are averaged into it</source>
        <translation>；第 {layers} 层平均合并到此层</translation>
    </message>
    <message>
        <source>removed with the decoder layers</source>
        <translation>随解码器层一起移除</translation>
    </message>
    <message>
        <source>, averaged into layer {layer}</source>
        <translation>，平均合并到第 {layer} 层</translation>
    </message>
    <message>
        <source> + merged {layers}</source>
        <translation> + 合并 {layers}</translation>
    </message>
    <message>
        <source>removed</source>
        <translation>已移除</translation>
    </message>
    <message>
        <source>merged into {layer}</source>
        <translation>合并到 {layer}</translation>
    </message>
    <message>
        <source>Layer {layer} is removed with the decoder layers: this is not in the export</source>
        <translation>第 {layer} 层随解码器层一起移除：导出结果中不包含此项</translation>
    </message>
    <message>
        <source>{count} params</source>
        <translation>{count} 参数</translation>
    </message>
    <message>
        <source>Select to see its histogram</source>
        <translation>选中以查看其直方图</translation>
    </message>
    <message>
        <source>Importance: ‖W_v‖·‖W_o‖ of this head (data-free)</source>
        <translation>重要性：该头的 ‖W_v‖·‖W_o‖（无需数据）</translation>
    </message>
    <message>
        <source>Importance is being computed</source>
        <translation>正在计算重要性</translation>
    </message>
    <message>
        <source>{shape}: query heads × head size, key/value heads</source>
        <translation>{shape}：查询头 × 头维度，键/值头</translation>
    </message>
    <message>
        <source>Fewer decoder layers: this layer {fate}</source>
        <translation>减少解码器层：此层{fate}</translation>
    </message>
    <message>
        <source>Select to show this layer&apos;s mixing matrices</source>
        <translation>选中以显示该层的混合矩阵</translation>
    </message>
</context>
<context>
    <name>WeightsPair</name>
    <message>
        <source>before</source>
        <translation>前</translation>
    </message>
    <message>
        <source>after</source>
        <translation>后</translation>
    </message>
    <message>
        <source>input</source>
        <translation>输入</translation>
    </message>
    <message>
        <source>unit (head · dim)</source>
        <translation>单元（头 · 维度）</translation>
    </message>
    <message>
        <source>The weight under the mouse</source>
        <translation>鼠标所指的权重</translation>
    </message>
    <message>
        <source>nothing to show</source>
        <translation>没有可显示的内容</translation>
    </message>
    <message>
        <source>one colour scale for both; hover for values</source>
        <translation>两者使用同一色标；悬停查看数值</translation>
    </message>
    <message>
        <source>{title}: unit {unit}, input {input}: {value}</source>
        <translation>{title}：单元 {unit}，输入 {input}：{value}</translation>
    </message>
</context>
<context>
    <name>WindowLayout</name>
    <message>
        <source>Filter tensors, e.g. q_proj or layer 3</source>
        <translation>筛选张量，例如 q_proj 或 layer 3</translation>
    </message>
    <message>
        <source>Narrow the tree to matching tensor names and nodes</source>
        <translation>将树缩小到匹配的张量名称和节点</translation>
    </message>
    <message>
        <source>Model structure from the headers; select a layer for its heatmaps, a tensor for its histogram</source>
        <translation>根据文件头读出的模型结构；选择某层查看其热图，选择张量查看其直方图</translation>
    </message>
    <message>
        <source>Open a checkpoint: File → Open, or drop a file or folder here.</source>
        <translation>打开检查点：文件 → 打开，或将文件或文件夹拖放到这里。</translation>
    </message>
    <message>
        <source>No model open</source>
        <translation>未打开模型</translation>
    </message>
    <message>
        <source>The open model and what Export would do with it</source>
        <translation>打开的模型，以及“导出”会对它做什么</translation>
    </message>
    <message>
        <source>Importance scores being computed in the background</source>
        <translation>正在后台计算重要性得分</translation>
    </message>
</context>
</TS>
