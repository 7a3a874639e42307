<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
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
    <name>LanguageMenu</name>
    <message>
        <source>&amp;Language</source>
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
    <name>PreviewPanel</name>
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
    <name>StatusRow</name>
    <message>
        <source>The calibration text runs through the model layer by layer; each layer is fitted on what leaves the already-shrunk layers before it</source>
        <extracomment>the core&apos;s heatmap keys, with the axis labels each one&apos;s rows and columns get</extracomment>
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
</TS>
