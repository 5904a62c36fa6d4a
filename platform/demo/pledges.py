"""Demo pledges for `make run`: each demo unit in the middle of this year's round.

The round's phases are placed around today so that today falls in the fulfil phase.
Every step is taken through the services, each with a `today` inside the phase it
belongs to (proposed and submitted in the propose phase, reviewed in review, published
in publish, recorded and closed out today), so the demo holds pledges in every state
with the history, messages and audit trail that the real steps leave behind.

A unit that already has a round is left alone, so seeding again changes nothing.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import cycle

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import UnitRole
from audit.context import acting
from tenants.models import Unit
from tenants.organization.models import Member, Organization
from tenants.organization.services import member_update
from tenants.services import unit_run

from pledges.cadence import overdue_detect
from pledges.models import Area, ItemKind, Pledge, PledgeItem, ProgressRecord, Round
from tenants.organization.caller import Caller, caller_for
from pledges.services import (
    item_close, item_rectify, item_request_close, item_send_back, pledge_approve, pledge_create, pledge_publish,
    pledge_return, pledge_submit, pledge_update, record_add, round_open, rules_of,
)

STUDY, WORK, DISCIPLINE, SERVICE = Area.STUDY, Area.WORK, Area.DISCIPLINE, Area.SERVICE
COMMON, POST, DEED, SELF, CORRECTION = ItemKind.COMMON, ItemKind.POST, ItemKind.DEED, ItemKind.DISCIPLINE, ItemKind.CORRECTION


@dataclass(frozen=True)
class ItemText:
    area: str
    kind: str
    content: str
    measures: str
    effect: str
    records: tuple[str, ...] = ()
    shortcoming: str = ""


def t(area, kind, content, measures, effect, *records, shortcoming=""):
    return ItemText(area, kind, content, measures, effect, tuple(records), shortcoming)


# ---------------------------------------------------------------- what people pledge

# A common pledge's text comes from the round's templates for the member's tier (source 004);
# this one is for a tier the unit left without a template.
COMMON_FALLBACK = "认真学习党章党规，全年集中学习不少于12个工作日，撰写学习笔记不少于1.5万字"
COMMON_MEASURES = "按支部“三会一课”安排参加集中学习，利用“学习强国”和党员教育平台自学，学习笔记每月交支部查阅"
COMMON_EFFECT = "政治理论水平和党性修养进一步提升，学习笔记按时完成"
COMMON_RECORDS = (
    "参加支部主题党日集中学习，学习习近平总书记关于基层治理的重要论述，记学习笔记2800字。",
    "完成“学习强国”每日学习任务，本月积分累计620分；参加党委中心组扩大学习1次。",
    "自学《中国共产党纪律处分条例》，结合岗位撰写学习心得1篇，在支部学习交流会上作了发言。",
)

LEADER_ITEMS = [
    t(WORK, POST, "履行支部书记第一责任人职责，每月按时召开支委会、组织主题党日，全年讲党课不少于2次",
      "年初制定支部工作计划，每月25日前确定下月主题党日内容，党课提前一周备课", "支部组织生活规范有序，党员参学率90%以上",
      "召开支委会研究本月主题党日和承诺践诺推进工作，会议记录已归档。",
      "以“践行承诺当先锋”为题为全体党员讲党课一次，参加党员32人。",
      "组织开展承诺践诺季度检查，逐人查看记实台账，对3名记实不及时的党员进行提醒。"),
    t(SERVICE, DEED, "联系1户困难群众和3名普通党员，每月至少谈心谈话或上门走访一次",
      "建立联系台账，走访情况当月记实，群众反映的问题一周内答复", "联系对象的困难和诉求件件有回应",
      "走访联系户，了解到其家中老人就医不便，协调村卫生室每周上门随访。",
      "与3名联系党员分别谈心谈话，听取对支部工作的意见建议5条。",
      "再次走访联系户，帮助办理医保报销手续，群众表示满意。"),
]

POST_ITEMS = {
    "党建专干": [
        t(WORK, POST, "规范支部“三会一课”台账，每月指导各村党支部按时开展主题党日",
          "制定主题党日月度计划表，每月下旬逐个支部查阅会议记录，发现问题当场反馈、限期整改", "基层党组织组织生活规范率达到100%",
          "指导6个村党支部完成本月主题党日，查阅会议记录12本，对2个支部记录不规范问题当场反馈。",
          "整理第三季度“三会一课”台账，补充完善党员大会记录2份。",
          "会同组织委员对2个村开展组织生活专项督导，发出整改通知2份。"),
        t(SERVICE, DEED, "为流动党员建立联系台账，每月至少联系一次，及时推送学习内容",
          "建立流动党员微信群，每月推送学习资料并电话联系，做好联系记录", "流动党员联系率100%，做到离乡不离党",
          "电话联系在外务工流动党员8名，更新联系台账，推送学习资料2期。",
          "为2名流动党员办理党组织关系转接咨询，解答党费交纳问题。",
          "组织流动党员参加线上主题党日一次，6人参加。"),
    ],
    "村务监督员": [
        t(WORK, POST, "每季度监督村级财务收支和“三资”管理，推动村务、财务按时公开",
          "列席村“两委”会议，逐笔审核票据，公开栏每季度更新一次并拍照存档", "村务公开及时率100%，群众对村务公开的满意度明显提升",
          "列席村“两委”会议，审核本月财务票据23张，发现1张报销手续不全，已督促补齐。",
          "监督第三季度村务公开栏更新，公开财务收支明细和低保名单，拍照存档。",
          "对村道硬化工程资金使用情况进行专项监督，核对合同和付款凭证，未发现问题。"),
        t(SERVICE, DEED, "收集群众对村务工作的意见建议不少于20条，做到件件有回复",
          "在村务公开栏旁设意见箱，每月开箱一次，意见建议当月反馈给村“两委”并跟踪答复", "群众意见件件有回音，村务监督公信力提升",
          "开启意见箱收集意见建议6条，其中路灯维修2条，已转交村“两委”。",
          "跟踪答复上月意见建议，路灯已修复，向提意见群众当面反馈。",
          "入户走访收集群众意见建议5条，主要涉及灌溉水渠清淤，已列入村“两委”议事内容。"),
    ],
    "网格员": [
        t(SERVICE, POST, "每月走访网格内住户全覆盖，重点关注独居老人、留守儿童等特殊群体",
          "建立网格民情台账，每周走访不少于2天，特殊群体每半月上门一次", "网格内群众诉求及时收集上报，矛盾纠纷不出网格",
          "走访网格内住户46户，其中独居老人7户，收集诉求4条，已上报3条、现场解决1条。",
          "为网格内2户留守儿童家庭联系志愿者开展课业辅导。",
          "开展秋冬季用火用电安全入户检查，排查隐患3处并督促整改。"),
        t(WORK, DEED, "及时排查化解网格内矛盾纠纷和安全隐患，做到小事不出网格",
          "每月开展一次矛盾纠纷排查，发现苗头当天上报，配合调委会调处", "网格内矛盾纠纷化解率95%以上",
          "调处两户村民宅基地边界纠纷1起，双方签订调解协议。",
          "排查网格内危房2处，已报镇村建办，住户临时搬离。",
          "配合综治中心开展矛盾纠纷排查，网格内无新增纠纷。"),
    ],
    "会计": [
        t(WORK, POST, "做到账目日清月结，每月5日前完成上月记账对账，按时完成季度财务公开",
          "每月5日前完成上月记账和对账，重大支出严格执行审批程序，公开资料提前送村务监督委员会审核", "账实相符、账账相符，全年无差错",
          "完成上月记账和银行对账，账实相符。",
          "整理第三季度财务公开资料，送村务监督委员会审核后张贴公开。",
          "配合镇“三资”中心完成年中财务抽查，无问题。"),
        t(DISCIPLINE, SELF, "严格执行财经纪律，不经手、不截留、不挪用任何不合规款项",
          "每笔资金收支严格走对公账户，报销凭证“一事一票”，主动接受审计和群众监督", "全年无违反财经纪律问题",
          "按规定退回1笔手续不全的报销申请，并说明原因。",
          "参加镇纪委组织的财经纪律警示教育，签订廉洁承诺书。",
          "自查本年度现金收支，全部通过对公账户办理。"),
    ],
    "教师": [
        t(WORK, POST, "结对帮扶3名学困生，每周至少个别辅导2次",
          "建立学困生成长档案，利用课后服务时间个别辅导，每月与家长沟通一次", "所帮扶学生学科成绩明显提升、学习兴趣增强",
          "为3名结对学生建立成长档案，分析薄弱环节，制定辅导计划。",
          "本月个别辅导9次，2名学生单元测验成绩提高10分以上。",
          "与3名学生家长电话沟通，反馈学习情况，商定家校配合措施。"),
        t(SERVICE, DEED, "每学期家访不少于10户，重点走访留守儿童家庭",
          "利用周末和节假日开展家访，家访情况记入家访手册，发现困难及时报学校", "家校沟通顺畅，留守儿童得到更多关爱",
          "周末走访留守儿童家庭3户，了解学生在家学习和生活情况。",
          "家访4户，为1名家庭困难学生申请了学校资助。",
          "走访学生家庭2户，向家长宣传防溺水和交通安全知识。"),
    ],
    "班主任": [
        t(WORK, POST, "关注每名学生的思想和心理状况，每月召开一次主题班会",
          "每周与5名学生谈心，每月围绕爱国、感恩、安全等主题召开班会，发现心理问题及时转介", "班级学风良好，全年无安全事故",
          "召开“我和我的祖国”主题班会，学生分组发言。",
          "与12名学生逐一谈心，关注到1名学生情绪低落，已与心理老师沟通跟进。",
          "召开“防溺水、防欺凌”安全主题班会，签订安全承诺书。"),
        t(SERVICE, DEED, "建立班级留守儿童关爱台账，每月至少与每名留守儿童谈心一次",
          "每月与留守儿童谈心并记录，组织学生每两周与在外父母视频通话一次", "留守儿童学习、生活有人关心，心理健康",
          "建立班级留守儿童台账，共8名，逐一登记监护人联系方式。",
          "组织留守儿童与外出务工父母视频通话，8名学生全部参加。",
          "为2名留守儿童过集体生日，送去学习用品。"),
    ],
    "线路工": [
        t(WORK, POST, "负责片区线路巡视，每月巡视不少于2遍，隐患发现即报即修",
          "按巡视计划逐杆逐线检查，隐患拍照上传并录入缺陷管理系统，一般隐患一周内消除", "片区线路故障率同比下降20%",
          "完成10千伏责任线路全线巡视，发现树障2处，已协调砍伐。",
          "巡视发现1处拉线松动，当天完成紧固处理。",
          "开展迎峰度冬特巡，检查配变12台，全部运行正常。"),
        t(SERVICE, DEED, "为辖区孤寡老人、五保户免费检查室内线路，全年不少于20户",
          "会同村干部确定服务名单，每月利用休息日上门检查，更换老化插座和开关", "困难群众家中用电安全隐患全部消除",
          "上门为5户五保户检查室内线路，更换老化插座3个。",
          "为4户独居老人更换老化电线，讲解安全用电常识。",
          "为3户困难群众免费安装漏电保护器。"),
    ],
    "调度员": [
        t(WORK, POST, "严格执行调度规程，全年无误调度、无误操作",
          "每班认真交接班，操作票双人复核，每月开展一次调度规程学习", "全年调度操作零差错",
          "参加调度规程月度学习，完成规程考试，成绩合格。",
          "本月执行调度操作指令46项，全部正确无误。",
          "参与秋检停电计划编制，合理安排停电时段，减少对用户影响。"),
        t(STUDY, POST, "每季度参加一次反事故演练，熟练掌握应急处置流程",
          "参加公司反事故演练，演练后撰写总结，针对薄弱环节开展专项学习", "应急处置能力明显提升",
          "参加第三季度反事故演练，担任主值，演练评价良好。",
          "学习新版应急处置预案，整理要点笔记。",
          "针对演练中发现的通信联络问题，提出改进建议1条，已被采纳。"),
    ],
    "科员": [
        t(WORK, POST, "办文办事做到当日事当日毕，公文办理零差错",
          "建立个人工作台账，每天下班前对账销号，公文印发前双人校对", "工作任务按时办结率100%",
          "本月办理公文38件，全部按时办结，无差错。",
          "梳理个人工作台账，对3件跨部门事项主动跟踪协调，已全部办结。",
          "配合完成年度目标考核资料整理，按时报送。"),
        t(SERVICE, DEED, "落实首问负责制，为来访群众一次性告知办事要求",
          "编制常见事项办事指南，来访群众首问必答、不推诿，不能当场办理的全程跟踪", "群众来办事少跑腿，全年无投诉",
          "接待来访群众15人次，一次性告知率100%。",
          "整理常办事项清单和材料要求，张贴在办公室门口。",
          "为1名外地务工返乡群众跟踪办理社保转移，已办结。"),
    ],
    "办事员": [
        t(SERVICE, POST, "在便民服务窗口做到热情接待、一次性告知，群众办事“最多跑一次”",
          "执行窗口服务规范，推行预约和延时服务，材料不全的一次性告知所缺材料", "窗口服务满意率98%以上",
          "本月窗口受理业务126件，群众评价满意率99%。",
          "为4名上班族提供延时服务，周末预约办理2件。",
          "更新窗口办事指南，增加医保、社保常见问题解答。"),
        t(WORK, DEED, "为行动不便的老人提供上门代办服务不少于10次",
          "与村网格员对接需求名单，每月固定一天上门代办养老资格认证等事项", "行动不便的老人不出门就能办成事",
          "上门为3名卧床老人办理养老保险资格认证。",
          "为2名残疾人代办残疾人补贴申请。",
          "上门为4名高龄老人代办高龄津贴申领。"),
    ],
    "综治专干": [
        t(WORK, POST, "每月开展一次矛盾纠纷排查，重点矛盾纠纷调处率100%",
          "建立矛盾纠纷排查台账，重点纠纷明确包案人和化解时限，每周跟踪一次", "全年不发生因矛盾纠纷引发的重大事件",
          "开展全镇矛盾纠纷月度排查，排查出纠纷5起，已化解4起。",
          "牵头调处1起土地流转合同纠纷，双方达成调解协议。",
          "对2起重点纠纷进行回访，当事人情绪稳定。"),
        t(SERVICE, DEED, "开展反诈、禁毒等法治宣传进村入户不少于6场",
          "联合派出所、司法所制定宣传计划，利用赶集日和村民会议开展宣传", "群众防骗防诈意识明显增强",
          "在集镇赶集日开展反诈宣传，发放资料200余份。",
          "到联系村开展禁毒宣传，播放警示教育片。",
          "在村民大会上讲解养老诈骗典型案例。"),
    ],
    "护林员": [
        t(WORK, POST, "每天巡山护林，秋冬季重点防范野外用火，确保责任区不发生森林火灾",
          "按巡护路线每天巡查并在巡护APP打卡，发现违规用火立即制止并上报", "责任区全年无森林火灾",
          "本月巡山28天，制止野外烧荒2起。",
          "清理巡护路线旁易燃杂物，检查防火宣传牌5块。",
          "配合林业站完成秋冬季森林防火检查，责任区无隐患。"),
        t(SERVICE, DEED, "向群众宣传森林防火知识，发放宣传资料不少于300份",
          "利用巡山间隙入户宣传，在上山路口设立宣传点", "群众森林防火意识普遍增强",
          "入户宣传森林防火知识，发放宣传资料80份。",
          "在清明、中元等重点时段值守上山路口，劝导群众文明祭扫。",
          "为小学学生讲森林防火知识一课。"),
    ],
    "卫生监督员": [
        t(WORK, POST, "对辖区餐饮店、小作坊每季度巡查一遍，督促整改卫生问题",
          "制定巡查计划，逐户填写检查记录，问题整改复查销号", "辖区全年无食品安全事故",
          "巡查集镇餐饮店12家，督促2家整改从业人员健康证过期问题。",
          "复查上月整改情况，2家已全部整改到位。",
          "配合开展学校食堂食品安全检查，未发现问题。"),
        t(SERVICE, DEED, "开展食品安全、健康知识宣传进学校、进村组不少于4次",
          "结合“健康中国行动”制作宣传展板，每季度到学校和村组各宣传一次", "群众健康素养水平提升",
          "到镇中心小学开展食品安全宣传，发放宣传资料150份。",
          "进村开展秋冬季传染病防控知识宣传。",
          "为村卫生室提供健康教育宣传折页300份。"),
    ],
    "团支书": [
        t(WORK, POST, "每月组织一次青年志愿服务活动，带动团员青年参与乡村建设",
          "建立青年志愿者队伍，每月确定一个服务主题，活动照片和记录及时归档", "青年志愿服务常态化，参与人数不少于30人次/月",
          "组织青年志愿者开展河道清理，参加24人。",
          "组织团员青年到敬老院开展志愿服务，为老人理发、打扫卫生。",
          "开展“青春助农”活动，帮助农户线上销售农产品。"),
        t(STUDY, DEED, "讲好红色故事，组织青年开展党史学习交流不少于3次",
          "结合重要纪念日组织读书分享、参观红色教育基地", "青年理想信念更加坚定",
          "组织青年参观县革命纪念馆，开展“追寻红色足迹”分享会。",
          "开展红色书籍读书分享会，12名青年分享读书心得。",
          "组织青年党员与入党积极分子座谈，讲述入党初心。"),
    ],
    # Posts the retired branch assigns to its members (设岗定责).
    "政策宣讲员": [
        t(SERVICE, POST, "每季度到村组、院落宣讲一次惠民政策",
          "结合新出台的惠民政策准备宣讲提纲，用群众听得懂的话讲", "群众对惠民政策知晓率明显提高",
          "在村民院坝宣讲医保缴费政策，参加群众40余人。",
          "为老年人讲解养老保险待遇调整政策。",
          "到邻村宣讲耕地保护政策，现场解答疑问8个。"),
        t(SERVICE, DEED, "帮助邻里老人学会使用智能手机办理社保认证、医保缴费",
          "每月在老年活动室开设一次“手机课堂”，手把手教学", "帮助不少于20名老人跨越“数字鸿沟”",
          "开设“手机课堂”，教会6名老人用手机完成社保认证。",
          "上门帮助3名独居老人用手机缴纳医保。",
          "第二期“手机课堂”教老人识别电信诈骗短信。"),
    ],
    "关心下一代辅导员": [
        t(SERVICE, POST, "担任校外辅导员，每学期给学生讲红色故事不少于2次",
          "与学校少先队对接课时，讲稿提前请学校审阅", "学生爱党爱国情感进一步增强",
          "到镇中心小学给五年级学生讲红色故事，学生反响热烈。",
          "参加学校开学典礼，为新生讲述老一辈共产党员的故事。",
          "与学校商定下学期讲课计划。"),
        t(SERVICE, DEED, "结对1名留守儿童，每月至少看望一次",
          "每月看望并检查作业，节假日邀请孩子到家里做客", "结对儿童健康成长、学习进步",
          "看望结对留守儿童，送去书包和文具。",
          "辅导结对儿童完成作业，与其爷爷奶奶交流孩子近况。",
          "陪结对儿童过生日，鼓励其好好学习。"),
    ],
    "文明劝导员": [
        t(SERVICE, POST, "每周两次在集镇路口开展文明交通劝导",
          "佩戴党员徽章上岗，劝导不戴头盔、占道经营等不文明行为", "集镇交通秩序明显改善",
          "本月在集镇路口劝导8次，劝导不戴头盔骑车30余人次。",
          "劝导占道经营摊贩5户，均已自觉整改。",
          "在赶集日维持校门口交通秩序。"),
        t(SERVICE, DEED, "带头参与人居环境整治，每月清理房前屋后和公共区域一次",
          "带动邻里共同清扫，在院落张贴文明公约", "居住院落干净整洁",
          "组织院落邻居清理公共区域杂物，清运垃圾2车。",
          "带头拆除自家违规搭建的杂物棚。",
          "参加镇里组织的“最美庭院”评选，协助打分。"),
    ],
    "矛盾调解员": [
        t(SERVICE, POST, "参与调解邻里纠纷，做到小事不出组",
          "发挥老党员威望，配合村调委会上门调解，调解情况及时报告", "邻里关系和谐，组内全年无上访",
          "调解两户邻居因排水沟引发的纠纷，双方握手言和。",
          "配合村调委会调解一起赡养纠纷，子女签订赡养协议。",
          "走访组内住户，了解到一起宅基地纠纷苗头并报告村里。"),
        t(SERVICE, DEED, "宣传移风易俗，劝导红白喜事简办",
          "参与村红白理事会，事前上门宣传标准，事后回访", "大操大办现象明显减少",
          "上门劝导1户村民丧事简办，按理事会标准办理。",
          "在村民会议上宣读移风易俗倡议书。",
          "协助村红白理事会修订操办标准。"),
    ],
    "义务宣讲员": [
        t(SERVICE, DEED, "结合亲身经历，为村里青少年讲一次党史故事",
          "量力而行，与村团支部商定时间地点，讲稿由孙女帮忙整理", "青少年了解家乡革命历史",
          "与村团支部商定宣讲时间和地点，整理讲稿。",
          "在村党群服务中心为青少年讲述家乡革命故事，参加20余人。"),
    ],
}
GENERIC_POST_ITEMS = [
    t(WORK, POST, "立足本职岗位，干一行爱一行，年度工作任务按时完成率100%",
      "将年度任务分解到月，每月底对照检查，未完成的说明原因并补上", "本职工作高质量完成，群众和同事认可",
      "对照月度任务清单逐项检查，本月任务全部按时完成。",
      "主动承担1项临时性任务，按期完成。",
      "梳理年度任务推进情况，剩余任务已制定推进计划。"),
    t(SERVICE, DEED, "结对帮扶1户困难群众，每月至少上门走访一次，帮助解决1件以上实际困难",
      "建立帮扶台账，每月走访并记录，困难问题协调相关部门解决", "结对户生产生活困难得到切实帮助",
      "走访结对户，帮助其申请临时救助。",
      "帮助结对户联系务工岗位，已上岗。",
      "再次走访结对户，送去过冬棉被。"),
]
EXTRA_ITEMS = [
    t(DISCIPLINE, SELF, "严守中央八项规定精神，不收受服务对象礼品礼金，不参与任何形式的赌博",
      "每月对照自查，逢年过节主动报告有关事项，主动接受群众监督", "全年无违纪违规行为，群众评价好",
      "参加警示教育大会，观看警示教育片并撰写心得。",
      "中秋国庆节前签订廉洁过节承诺书。",
      "对照八项规定精神开展个人自查，无违规问题。"),
    t(SERVICE, DEED, "每季度参加一次“党员志愿服务日”活动，参与环境整治、助老助残等服务",
      "服从支部安排，提前报名，服务时长记入志愿服务记录", "全年志愿服务时长不少于24小时",
      "参加支部组织的人居环境整治志愿服务，服务4小时。",
      "到镇敬老院开展志愿服务，为老人打扫卫生、陪同聊天。",
      "参加“文明交通”志愿服务，服务3小时。"),
    t(DISCIPLINE, SELF, "带头弘扬新风正气，婚丧喜庆事宜简办，不大操大办",
      "家庭事宜事前向支部报告，带动亲友移风易俗", "树立党员良好形象",
      "向亲友宣传移风易俗，劝导亲戚婚事简办。",
      "在组织生活会上就带头移风易俗作表态发言。",
      "协助村红白理事会上门宣传操办标准。"),
]
CORRECTIONS = [
    t(STUDY, CORRECTION, "制定个人年度学习计划，每月精读1篇重要讲话或理论文章并写出心得",
      "每周固定两个晚上自学，学习笔记每月交支部查阅", "理论联系实际能力提升，学习笔记不少于1.5万字",
      "制定个人学习计划，列出每月必读篇目。",
      "精读重要讲话1篇，撰写心得1500字，交支部查阅。",
      "本月按计划完成自学，笔记累计8000余字。",
      shortcoming="理论学习不够系统深入，存在以干代学现象"),
    t(SERVICE, CORRECTION, "改进工作方法，群众来访做到“一张笑脸、一杯热茶、一次讲清”",
      "每次接待群众后自我检查，每月请同事和服务对象提一条意见", "全年无群众投诉，服务对象满意度提升",
      "接待群众时耐心解释政策，一次讲不清的画图说明。",
      "请3名服务对象提意见，针对“说话太快”的意见注意放慢语速。",
      "本月服务群众无投诉。",
      shortcoming="对群众解释政策有时缺乏耐心，方法简单"),
    t(STUDY, CORRECTION, "学会使用党建平台和办公软件，独立完成线上填报和台账整理",
      "请年轻同事每周教一次，遇到问题记下来集中请教", "能独立完成线上工作，不再请人代办",
      "学会在党建平台填报记实，独立上传照片。",
      "学会用表格软件整理台账并制作简单统计。",
      "独立完成本月全部线上填报。",
      shortcoming="运用信息化手段开展工作的能力不足"),
    t(WORK, CORRECTION, "每月至少两天下沉一线开展调研，年内形成1篇调研报告",
      "提前列出调研提纲，调研情况当月整理成文", "掌握一线情况更全面，调研成果转化为工作措施",
      "到联系村开展产业发展调研2天，走访农户12户。",
      "整理调研笔记，形成调研报告初稿。",
      "到另一个村就养老服务需求开展调研。",
      shortcoming="深入基层调查研究不够，掌握一线情况不全面"),
    t(DISCIPLINE, CORRECTION, "合理安排工作，全年按时参加“三会一课”，无特殊情况不请假",
      "把组织生活时间提前排入个人日程，确需请假的事后补学", "组织生活参加率100%",
      "按时参加本月支部党员大会和主题党日。",
      "因公出差未能参加党小组会，回来后补学并提交心得。",
      "本月组织生活全部按时参加。",
      shortcoming="参加组织生活有时因工作冲突请假"),
    t(DISCIPLINE, CORRECTION, "在组织生活会上真诚开展批评与自我批评，每次至少给同志提一条具体意见",
      "会前与同志谈心，准备批评意见，会后跟踪对方整改", "支部政治生活更加严肃认真",
      "组织生活会前与2名同志谈心，交换意见。",
      "在组织生活会上给同志提出具体意见2条。",
      "主动向支部书记汇报思想，查找自身不足。",
      shortcoming="开展批评与自我批评不够大胆，存在“好人主义”"),
    t(WORK, CORRECTION, "对标先进找差距，年内在本岗位形成1项改进做法",
      "每季度学习一个先进典型，对照查找本岗位不足，提出改进措施", "工作质量和效率有明显提升",
      "学习身边先进典型事迹，对照查找自身差距3条。",
      "提出简化工作流程的建议1条，经支部讨论后试行。",
      "试行改进做法一个月，群众办事等待时间缩短。",
      shortcoming="工作标准不够高，满足于完成任务"),
]

# Organisations' own pledges (3–5 items), chosen by a word in the organisation's name.
ORGANIZATION_ITEMS = [
    ("离退休", [
        t(STUDY, COMMON, "每月组织一次集中学习，对行动不便的老党员送学上门",
          "支委分片包干，每月把学习资料送到行动不便的老党员家中", "老党员参学率100%",
          "组织集中学习，行动不便的5名老党员由支委送学上门。",
          "开展“老党员话初心”学习交流，8名老党员发言。",
          "送学上门并征求老党员对支部工作的意见。"),
        t(SERVICE, DEED, "组织老党员参与关心下一代工作，到学校讲红色故事不少于4场",
          "与镇中心小学对接，老党员轮流宣讲", "青少年爱党爱国情感增强",
          "组织老党员到镇中心小学讲红色故事1场。",
          "与学校商定下学期宣讲计划。",
          "组织老党员到中学开展“传家风、讲家训”活动。"),
        t(SERVICE, POST, "为离退休党员逐一设岗定责，做到人人有岗、依岗承诺",
          "召开支部党员大会，根据身体状况和个人意愿设置宣讲、调解、劝导等岗位", "有能力的老党员全部上岗",
          "召开党员大会，为6名老党员设置政策宣讲员、文明劝导员等岗位。",
          "为新上岗的老党员发放岗位职责卡。",
          "对尚未设岗的老党员逐一上门征求意见。"),
    ]),
    ("村", [
        t(SERVICE, DEED, "实施村内主干道路灯安装，年内解决群众夜间出行难问题",
          "争取项目资金，党员分片监督施工质量，完工后组织群众代表验收", "新增路灯60盏，群众夜间出行安全方便",
          "召开村民代表会议讨论路灯安装方案，确定点位60个。",
          "路灯安装开工，党员分3段监督施工质量。",
          "已安装路灯42盏，剩余部分12月上旬完工。"),
        t(WORK, POST, "建强党员中心户，每名党员联系10户群众，做到民情户户清",
          "按居住就近原则划分联系户，党员每月走访一次，民情日记每月交支部", "群众诉求第一时间收集、第一时间回应",
          "完成党员联系户划分，每名党员联系10户。",
          "汇总党员民情日记，收集群众诉求26条，已办结19条。",
          "对未办结诉求逐条明确责任人和时限。"),
        t(SERVICE, DEED, "成立党员志愿服务队，每月开展一次人居环境整治",
          "党员带头、群众参与，每月最后一个周六为集中整治日", "村容村貌明显改善，创建市级美丽乡村",
          "组织党员群众清理沟渠1.5公里，清运垃圾6车。",
          "开展“清洁庭院”评比，评出示范户15户。",
          "整治村口乱堆乱放，拆除破旧棚圈3处。"),
        t(WORK, DEED, "发展壮大村集体经济，年内村集体经营性收入增长10%以上",
          "盘活闲置厂房对外出租，成立劳务合作社承接用工", "村集体经营性收入达到15万元",
          "闲置厂房完成招租，签订3年租赁合同。",
          "劳务合作社承接镇里绿化养护项目，带动12名群众就业。",
          "核算前三季度村集体经营性收入，同比增长8%。"),
    ]),
    ("年级", [
        t(WORK, POST, "落实“一生一档”，年级学困生转化率达到60%以上",
          "党员教师每人联系学困生，每月分析一次学情", "年级整体成绩稳步提升",
          "建立年级学困生档案，党员教师结对联系。",
          "召开年级学情分析会，调整辅导安排。",
          "期中考试学困生转化率达到45%。"),
        t(SERVICE, DEED, "党员教师结对帮扶留守儿童，每人至少结对2名",
          "建立结对台账，党员教师每月谈心一次、家访一次", "留守学生学习生活有人关心",
          "完成结对，党员教师共结对留守学生24名。",
          "组织结对教师开展中秋关爱活动。",
          "检查结对记录，对记录不全的进行提醒。"),
        t(WORK, POST, "每名党员教师每学期上示范课1节，带动青年教师成长",
          "年级统一安排示范课时间，课后集体评课", "青年教师教学能力明显提升",
          "安排本学期党员示范课8节。",
          "已完成示范课5节，组织集体评课。",
          "整理示范课教学设计汇编。"),
        t(DISCIPLINE, SELF, "严禁有偿补课，党员教师签订师德承诺书，接受家长监督",
          "公开举报电话，每学期开展一次家长问卷", "全年无师德失范问题",
          "全体党员教师签订师德承诺书。",
          "开展家长问卷调查，回收问卷320份，无反映有偿补课问题。",
          "开展师德警示教育一次。"),
    ]),
    ("后勤", [
        t(SERVICE, POST, "保障师生食堂食品安全，每周公示食谱和食材来源",
          "落实食材验收和留样制度，党员轮流值守食堂", "全年无食品安全事故，师生满意度95%以上",
          "每周在校园公示栏公示食谱和食材来源。",
          "开展食堂食品安全自查，整改问题2处。",
          "组织师生代表陪餐并征求意见。"),
        t(WORK, DEED, "完成学生宿舍水电线路检修改造",
          "党员带队分栋检修，改造期间不影响学生住宿", "宿舍用电用水安全",
          "完成1号、2号宿舍楼线路检查。",
          "更换老化水管和开关，完成3号楼改造。",
          "组织验收，宿舍水电运行正常。"),
        t(SERVICE, DEED, "设立后勤“党员服务岗”，师生报修24小时内响应",
          "公开报修电话，党员轮流值班，维修完成后回访", "报修及时响应率100%",
          "设立党员服务岗，公布报修二维码。",
          "本月受理报修43件，24小时内响应率100%。",
          "回访报修师生，满意率98%。"),
    ]),
    ("运维检修", [
        t(WORK, POST, "开展线路设备隐患排查，迎峰度冬前完成全部隐患治理",
          "党员带头分片排查，隐患建立台账、挂牌督办", "冬季用电高峰期间无重大停电",
          "完成10千伏线路隐患排查，建立隐患台账21条。",
          "已治理隐患16条，剩余5条列入计划。",
          "开展迎峰度冬特巡，重点设备红外测温。"),
        t(SERVICE, DEED, "组建共产党员服务队，为孤寡老人免费检修用电线路",
          "联合各村确定服务名单，每月开展一次上门服务", "服务孤寡老人不少于100户",
          "共产党员服务队进村为18户孤寡老人检修线路。",
          "到邻近村组开展上门服务，更换老化线路6户。",
          "服务户数累计达到56户。"),
        t(WORK, POST, "严格执行“两票三制”，全年不发生人身和设备事故",
          "党员担任工作负责人，开工前安全交底，每月开展一次安全日活动", "安全生产零事故",
          "开展安全日活动，学习典型事故案例。",
          "抽查工作票30份，全部合格。",
          "组织现场安全督查2次。"),
    ]),
    ("营销服务", [
        t(SERVICE, POST, "推行“网上国网”办电，居民办电时间压缩到3个工作日以内",
          "党员客户经理上门指导群众线上办电，办电流程全程跟踪", "居民办电平均时长不超过3个工作日",
          "上门指导群众使用“网上国网”办电48户。",
          "梳理办电流程，取消不必要材料2项。",
          "本月居民办电平均时长2.6个工作日。"),
        t(SERVICE, DEED, "走进村组、集镇开展安全用电宣传，全年不少于10场",
          "结合赶集日和村民会议开展宣传，发放宣传资料", "群众安全用电意识增强",
          "在集镇开展安全用电宣传，发放资料300份。",
          "进村开展农忙季节安全用电宣传。",
          "到中学开展安全用电进校园活动。"),
        t(WORK, POST, "客户工单按时办结率100%，客户回访满意率98%以上",
          "工单日清日结，党员对疑难工单包干处理", "客户投诉同比下降30%",
          "本月受理工单112件，全部按时办结。",
          "对3件疑难工单上门处理，客户表示满意。",
          "回访客户200户，满意率99%。"),
    ]),
    ("办公室", [
        t(WORK, POST, "提升“三服务”水平，公文办理和会务保障零差错",
          "公文实行三级校核，重要会议制定保障方案", "全年公文、会务零差错",
          "本月办理公文86件，无差错。",
          "完成县委全会会务保障。",
          "修订公文处理流程，明确三级校核责任。"),
        t(SERVICE, DEED, "联系帮扶1个村，年内解决群众急难愁盼问题不少于3件",
          "支部党员轮流驻村，问题清单化、逐项销号", "联系村群众满意",
          "到联系村走访，梳理群众急难愁盼问题5件。",
          "协调解决联系村饮水管网维修问题。",
          "协调解决联系村村小操场硬化问题。"),
        t(STUDY, COMMON, "每月开展一次“机关讲堂”，党员轮流领学",
          "年初排定领学人和主题，每次讲后交流研讨", "机关党员学习氛围浓厚",
          "举办“机关讲堂”，2名党员领学并交流。",
          "举办“机关讲堂”，围绕公文写作规范开展研讨。",
          "整理“机关讲堂”讲稿汇编。"),
    ]),
    ("组织部", [
        t(WORK, POST, "完成党员信息和党费收缴专项检查，党员信息准确率100%",
          "逐支部比对党员信息，对问题建立清单限期整改", "党员信息库准确、党费足额按时收缴",
          "完成12个支部党员信息比对，发现问题9条。",
          "督促整改党员信息问题7条。",
          "开展党费收缴情况抽查，无问题。"),
        t(WORK, DEED, "指导全县无职党员设岗定责，做到人人有岗、依岗承诺",
          "制定设岗指导目录，深入基层支部指导", "无职党员设岗率95%以上",
          "印发无职党员设岗指导目录。",
          "到3个乡镇指导设岗定责工作。",
          "汇总全县无职党员设岗情况，设岗率达到91%。"),
        t(SERVICE, DEED, "走访慰问生活困难党员和老党员，全年不少于50人次",
          "建立困难党员台账，节前集中走访，平时电话关心", "困难党员感受到组织温暖",
          "走访慰问生活困难党员12人次。",
          "为2名困难老党员协调医疗救助。",
          "更新困难党员台账。"),
    ]),
    ("宣传部", [
        t(WORK, POST, "办好“身边的先锋”专栏，全年推出党员先进典型不少于12名",
          "各支部推荐、实地采访，每月推出一期", "先进典型示范带动作用明显",
          "推出“身边的先锋”专栏第8期，报道村医党员事迹。",
          "采访2名基层党员先进典型。",
          "推出专栏第9期、第10期。"),
        t(SERVICE, DEED, "组织新时代文明实践志愿服务进村社区不少于20场",
          "与各乡镇实践所对接需求，按需派单", "群众精神文化生活更加丰富",
          "组织文艺志愿服务进村2场。",
          "开展“理论宣讲进万家”活动3场。",
          "组织电影放映志愿服务4场。"),
        t(STUDY, COMMON, "落实意识形态工作责任制，每季度分析研判一次",
          "每季度召开意识形态分析研判会，形成研判报告", "意识形态阵地管理规范",
          "召开第三季度意识形态分析研判会。",
          "开展网络舆情应对培训。",
          "检查宣传阵地管理情况。"),
    ]),
    ("机关", [
        t(SERVICE, POST, "推行便民服务“一窗受理、全程代办”，群众办事满意率95%以上",
          "机关党员轮流值守便民服务中心党员先锋岗，代办事项全程跟踪", "群众办事少跑腿、不跑腿",
          "设立党员先锋岗，公布代办事项清单32项。",
          "本月代办事项57件，全部办结。",
          "开展群众满意度回访，满意率97%。"),
        t(WORK, COMMON, "落实“三会一课”，每季度开展一次党员“亮身份、践承诺”活动",
          "机关党员佩戴党徽上岗，办公桌摆放党员先锋岗桌签", "机关党员形象和作风明显改进",
          "开展“亮身份、践承诺”活动，为党员统一制作先锋岗桌签。",
          "组织机关党员在主题党日上汇报承诺落实情况。",
          "开展机关作风明察暗访一次。"),
        t(SERVICE, DEED, "机关党员每月到联系村开展一次“党员进村入户”走访",
          "每名机关党员联系一个村民小组，走访情况记入民情日记", "群众诉求及时收集解决",
          "机关党员进村入户走访农户210户，收集诉求18条。",
          "对收集的诉求逐条交办，已办结12条。",
          "开展冬季困难群众走访慰问。"),
        t(DISCIPLINE, SELF, "开展作风纪律专项整治，机关党员上班期间不迟到早退、不擅离岗位",
          "每月开展一次作风纪律检查，结果在机关内通报", "机关作风明显好转",
          "开展作风纪律检查，通报问题2个。",
          "对上月通报问题进行复查，已整改。",
          "开展作风纪律检查，未发现问题。"),
    ]),
]
GENERIC_ORGANIZATION_ITEMS = [
    t(STUDY, COMMON, "落实“三会一课”，每月开展一次主题党日",
      "年初制定全年计划，每月25日前确定下月主题", "组织生活规范有序",
      "开展主题党日，学习重要讲话精神。", "召开支委会研究承诺推进工作。", "开展主题党日，集中开展志愿服务。"),
    t(SERVICE, DEED, "组织党员志愿服务，每季度至少开展一次",
      "支部统一组织，党员带头、群众参与", "为群众办好实事",
      "组织党员开展环境整治志愿服务。", "组织党员走访慰问困难群众。", "组织党员开展政策宣传。"),
    t(WORK, POST, "党员亮身份、亮承诺，设立党员先锋岗",
      "党员在工作岗位公开身份和承诺，接受群众监督", "党员先锋模范作用充分发挥",
      "为党员制作先锋岗桌签。", "检查党员先锋岗设置情况。", "评选本季度优秀党员先锋岗。"),
]
COMMITTEE_ITEMS = [
    t(SERVICE, DEED, "实施集镇污水管网改造，年内完成主管网铺设",
      "党委班子成员包段负责，每周召开一次推进会", "集镇生活污水收集率达到85%",
      "召开污水管网改造推进会，明确班子成员包段责任。",
      "主管网已铺设2.1公里，完成总量的70%。",
      "督查施工进度和质量，协调解决占地问题2处。"),
    t(WORK, POST, "落实基层党建工作责任制，每半年专题研究一次基层党建工作",
      "党委书记带头抓，班子成员分片联系村（社区）党组织", "基层党组织全面过硬",
      "召开党委会专题研究下半年基层党建工作。",
      "班子成员到联系支部指导承诺践诺工作。",
      "开展基层党建半年督查，通报问题6个。"),
    t(SERVICE, DEED, "建成镇养老服务中心，为80岁以上老人提供助餐服务",
      "利用闲置校舍改建，引入社会组织运营", "全镇80岁以上老人助餐覆盖率50%以上",
      "养老服务中心完成改建验收。",
      "引入社会组织运营，开展助餐试运行。",
      "助餐服务惠及老人86人。"),
    t(DISCIPLINE, SELF, "开展作风建设专项整治，每季度通报一次作风纪律检查情况",
      "纪委牵头明察暗访，问题清单化整改", "干部作风明显转变，群众满意度提升",
      "开展第三季度作风纪律明察暗访。", "通报作风问题3个并督促整改。", "对整改情况进行回头看。"),
]
# Committees of agencies, schools and enterprises.
UNIT_COMMITTEE_ITEMS = [
    t(WORK, POST, "落实全面从严治党主体责任，每半年专题研究一次党建工作，书记带头讲党课",
      "党委书记履行第一责任人职责，班子成员落实“一岗双责”，每季度督导一次支部工作", "所属党支部全部达到标准化规范化要求",
      "召开党委会专题研究下半年党建工作和承诺践诺推进。",
      "党委书记为全体党员讲专题党课。",
      "班子成员分片督导各支部承诺践诺工作，反馈问题5个。"),
    t(SERVICE, DEED, "开展“我为群众办实事”，全年为服务对象办好实事不少于5件",
      "面向服务对象征集实事项目，党委会研究确定，逐项明确责任人和完成时限", "服务对象满意度明显提升",
      "向服务对象征集实事项目意见建议32条，确定年度实事5件。",
      "已完成实事2件，其余3件按计划推进。",
      "对已完成实事开展满意度回访。"),
    t(WORK, DEED, "推进党建与业务深度融合，打造1个党建品牌",
      "各支部围绕中心工作设立党员先锋岗和责任区", "党建引领作用在业务工作中充分体现",
      "确定党建品牌创建方案，各支部设立党员先锋岗。",
      "召开党建品牌创建推进会。",
      "评选第三季度党员先锋岗。"),
    t(DISCIPLINE, SELF, "开展作风建设专项整治，每季度通报一次作风纪律检查情况",
      "纪委牵头明察暗访，问题清单化整改", "干部职工作风明显转变",
      "开展第三季度作风纪律明察暗访。", "通报作风问题2个并督促整改。", "对整改情况进行回头看。"),
]
COLLECTIVE_ITEMS = [
    t(SERVICE, DEED, "党员联户包组，组内每户门前屋后整洁，庭院美化率达到80%",
      "党员每人包5户，每月检查评比一次，评比结果上墙", "组内人居环境明显改善",
      "党员分户包干，完成组内38户房前屋后清理。",
      "开展庭院评比，评出“美丽庭院”8户。",
      "组织党员和群众补种绿化苗木200株。"),
    t(SERVICE, DEED, "组建党员“红色代办员”队伍，为留守老人代购代办",
      "公布代办员联系电话，老人电话预约，代办情况记入台账", "组内留守老人生活便利",
      "公布代办员名单和电话，走访组内留守老人14户。",
      "为留守老人代购药品、代缴电费11次。",
      "为2名老人代办医保报销。"),
    t(WORK, CORRECTION, "每月组织一次形式多样的党小组活动，党员参与率达到90%以上",
      "党小组长每月提前一周通知，活动结合农时灵活安排", "党小组活动有吸引力、有实效",
      "组织党小组“田间课堂”，讲解秋冬种植技术，参加党员9人。",
      "开展党小组读书分享活动。",
      "组织党小组参观邻村集体经济项目。",
      shortcoming="党小组活动形式单一，部分党员参与不积极"),
]

APPROVE_COMMENTS = ["承诺事项具体、可行，与岗位结合紧密，同意。", "同意，请按承诺抓好落实，按月记实。", "符合“五带头”要求，同意公示。"]
RETURN_ITEM_COMMENTS = [
    "与岗位结合还不够紧密，请写明具体服务对象、次数和时间节点。",
    "保障措施不够具体，请补充怎么做、谁来做、何时完成。",
]
CORRECTION_COMMENT = "缺点查摆不够具体，请对照组织生活会上大家提的意见重新查找，整改措施要可检查。"
RETURN_COMMENT = "请按审核意见修改完善后重新提交。"
REDO_COMMENT = "承诺事项与本人岗位职责联系不紧，部分事项难以实现，请结合岗位重新提出承诺。"
CLOSE_REQUEST_COMMENT = "事项已完成，记实和照片已上传，申请销号。"
SEND_BACK_COMMENT = "佐证材料不全，请补充服务对象签字或现场照片后再申请销号。"
RECTIFY_COMMENT = "该事项已超过承诺时限仍未完成，请说明原因，制定整改措施并在期限内完成。"
EVIDENCES = [
    "经支部书记实地查看，核对记实台账和现场照片，承诺事项已按期完成，群众反映良好，同意销号。",
    "查阅工作记录和相关资料，走访服务对象3人，情况属实，同意销号。",
    "经支委会研究，该事项已完成并取得预期效果，予以销号。",
]
RETIRED_POSTS = ["政策宣讲员", "关心下一代辅导员", "文明劝导员", "矛盾调解员"]

# Member pledges cycle through these outcomes so every branch shows a realistic mix;
# "*" takes the next of the rarer outcomes in turn.
PLEDGE_PATTERN = ["published", "returned", "published", "completed", "published", "*", "published", "submitted", "published", "*"]
RARE_OUTCOMES = ["draft", "redo", "approved", "resubmitted"]
# Items of published pledges cycle through these ("ongoing": in progress until the year ends).
ONGOING_KINDS = (COMMON, SELF)
ITEM_PATTERN = ["in_progress", "closed", "in_progress", "close_requested", "overdue", "in_progress",
                "closed", "rectifying", "in_progress", "sent_back", "closed", "close_requested"]


# ---------------------------------------------------------------- the round around today

def round_dates(today: date) -> dict[str, date]:
    """Phases placed so that today falls in the fulfil phase, about ten weeks in."""
    return {
        "mobilise_on": today - timedelta(days=125),
        "propose_on": today - timedelta(days=110),
        "review_on": today - timedelta(days=95),
        "publish_on": today - timedelta(days=82),
        "fulfil_on": today - timedelta(days=75),
        "evaluate_on": today + timedelta(days=30),
        "ends_on": today + timedelta(days=60),
    }


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _deadline_choices(start: date, end: date) -> list[date]:
    """Dates people actually write as deadlines: the 10th, 15th, 20th and month ends."""
    days, month = [], start.replace(day=1)
    while month <= end:
        for day in (month.replace(day=10), month.replace(day=15), month.replace(day=20), _month_end(month)):
            if start <= day <= end:
                days.append(day)
        month = _month_end(month) + timedelta(days=1)
    return days or [start + (end - start) / 2]


@dataclass
class _Planned:
    """A pledge being built: what each item should end as."""

    pledge: Pledge
    proposer: Caller
    recorders: list[Caller]
    texts: list[ItemText]
    item_states: list[str | None]


@dataclass
class DemoSeeder:
    unit: Unit
    today: date
    rng: random.Random
    records_per_item: int = 3
    participants: dict[int, Caller] = field(default_factory=dict)
    rectify: list[tuple[PledgeItem, Caller]] = field(default_factory=list)

    def run(self) -> dict[str, int]:
        self.dates = dates = round_dates(self.today)
        self.round = round_open(year=self.today.year, theme=f"{self.today.year}年度党员公开承诺践诺", dates=dates)
        rules = rules_of(self.round)
        self.checklist = list(rules.review_checklist)
        self.common_templates = rules.common_templates or {}
        self.propose_day = dates["propose_on"] + timedelta(days=4)
        self.review_day = dates["review_on"] + timedelta(days=3)
        self.publish_day = dates["publish_on"] + timedelta(days=2)
        self.items_pattern = cycle(ITEM_PATTERN)
        self.rare = cycle(RARE_OUTCOMES)
        admin_user_id = UnitRole.objects.filter(unit=connection.tenant, role=UnitRole.Role.UNIT_ADMIN).values_list("user_id", flat=True).first()
        self.admin = caller_for(user_id=admin_user_id, is_unit_admin=True)
        self.organizations = {o.pk: o for o in Organization.objects.all()}
        self.members = {m.pk: m for m in Member.objects.select_related("branch", "group")}
        self.secretary_ids = {o.secretary_id for o in self.organizations.values() if o.secretary_id}

        self._assign_retired_posts()
        for organization in sorted(self.organizations.values(), key=lambda o: (o.kind != Organization.Kind.COMMITTEE, o.sort_order, o.pk)):
            # An organisation's pledge is proposed and recorded by its secretary.
            if organization.kind in (Organization.Kind.COMMITTEE, Organization.Kind.BRANCH) and self._has_login(organization.secretary_id):
                self._organization_pledge(organization)
        self._collective_pledge()
        pattern = cycle(PLEDGE_PATTERN)
        for branch in self._branches():
            secretary_id = branch.secretary_id
            for member in sorted(self._members_of(branch), key=lambda m: (m.pk != secretary_id, m.pk)):
                if member.is_exempt and member.post and member.user_id:
                    self._member_pledge(member, "published")  # a retired member pledging within their strength
                elif self._may_pledge(member):
                    # Leaders and secretaries pledge first and are published (000, 002).
                    outcome = "published" if member.pk == secretary_id else next(pattern)
                    self._member_pledge(member, next(self.rare) if outcome == "*" else outcome)
        overdue_detect(today=self.today)
        for item, reviewer in self.rectify:
            self._rectify(item, reviewer)
        return self.counts()

    def counts(self) -> dict[str, int]:
        pledges = Pledge.objects.filter(round=self.round)
        counts = Counter({f"pledge {state}": n for state, n in Counter(pledges.values_list("state", flat=True)).items()})
        counts.update({f"subject {s}": n for s, n in Counter(pledges.values_list("subject", flat=True)).items()})
        counts.update({f"item {s}": n for s, n in Counter(PledgeItem.objects.filter(pledge__round=self.round).values_list("state", flat=True)).items()})
        counts["records"] = ProgressRecord.objects.filter(item__pledge__round=self.round).count()
        return dict(sorted(counts.items()))

    # ------------------------------------------------------------ who

    def _branches(self) -> list[Organization]:
        return sorted((o for o in self.organizations.values() if o.kind == Organization.Kind.BRANCH), key=lambda o: (o.sort_order, o.pk))

    def _members_of(self, branch: Organization) -> list[Member]:
        return [m for m in self.members.values() if m.branch_id == branch.pk]

    def _may_pledge(self, member: Member) -> bool:
        # Members record their own progress, so only those with a login pledge here.
        return (member.status in (Member.Status.ACTIVE, Member.Status.MOBILE) and bool(member.post.strip()) and not member.is_exempt
                and member.user_id is not None)

    def _has_login(self, member_id: int | None) -> bool:
        member = self.members.get(member_id)
        return member is not None and member.user_id is not None

    def _participant(self, member: Member | None) -> Caller:
        if member is None or member.user_id is None:
            return self.admin
        if member.pk not in self.participants:
            self.participants[member.pk] = caller_for(user_id=member.user_id)
        return self.participants[member.pk]

    def _reviewer(self, pledge: Pledge) -> Caller:
        """Whoever the service named when the pledge was submitted (pledges.services.reviewer_for):
        the reviewing organisation's secretary, or the unit admin when there is none."""
        organization = self.organizations.get(pledge.reviewer_organization_id)
        secretary = self.members.get(organization.secretary_id) if organization else None
        return self._participant(secretary)

    def _assign_retired_posts(self) -> None:
        """The retired branch gives posts (设岗定责) to those who can take one; the last one
        is still waiting for a post, and one exempt member volunteers a small pledge."""
        for branch in self._branches():
            if "离退休" not in branch.name:
                continue
            without_post = [m for m in sorted(self._members_of(branch), key=lambda m: m.pk) if not m.post.strip() and m.pk != branch.secretary_id]
            able = [m for m in without_post if not m.is_exempt][:-1]
            volunteer = [m for m in without_post if m.is_exempt][:1]
            for member, post in [*zip(able, cycle(RETIRED_POSTS)), *((m, "义务宣讲员") for m in volunteer)]:
                self.members[member.pk] = member_update(member=member, unit=self.unit, post=post)

    # ------------------------------------------------------------ what

    def _item_data(self, text: ItemText, state: str | None, *, common: str | None = None) -> dict:
        dates = self.dates
        if state in ("overdue", "rectifying"):
            window = (dates["publish_on"] + timedelta(days=20), self.today - timedelta(days=3 if state == "overdue" else 10))
        elif state == "closed":
            window = (dates["fulfil_on"] + timedelta(days=10), dates["evaluate_on"])
        else:
            window = (self.today + timedelta(days=7), dates["evaluate_on"])
        choices = _deadline_choices(*window)
        return {
            "content": common or text.content, "area": text.area, "kind": text.kind, "measures": text.measures,
            "deadline": choices[-1] if state == "ongoing" else self.rng.choice(choices), "expected_effect": text.effect, "shortcoming": text.shortcoming,
        }

    def _member_texts(self, member: Member) -> list[tuple[ItemText, str | None]]:
        leader = member.pk in self.secretary_ids or member.tier in (Member.Tier.COUNTY_LEADER, Member.Tier.TOWNSHIP_LEADER)
        post_items = POST_ITEMS.get(member.post, GENERIC_POST_ITEMS)
        if member.is_exempt:
            return [(post_items[0], None)]
        common = (self.common_templates.get(member.tier) or [COMMON_FALLBACK])[0]
        main: list[tuple[ItemText, str | None]] = [(t(STUDY, COMMON, common, COMMON_MEASURES, COMMON_EFFECT, *COMMON_RECORDS), common)]
        if leader:
            main.append((self.rng.choice(LEADER_ITEMS), None))
        main.append((post_items[0], None))
        wanted = (3 if leader else 2) + self.rng.randint(0, 1)
        extras = [post_items[1] if len(post_items) > 1 else None, *self.rng.sample(EXTRA_ITEMS, 2)]
        for extra in extras:
            if len(main) < wanted and extra is not None and all(extra is not text for text, _ in main):
                main.append((extra, None))
        corrections = self.rng.sample(CORRECTIONS, 2 if self.rng.random() < 0.2 else 1)
        return main + [(c, None) for c in corrections]

    # ------------------------------------------------------------ pledges

    def _member_pledge(self, member: Member, outcome: str) -> None:
        who = self._participant(member)
        texts = self._member_texts(member)
        states = self._item_states(outcome, [text for text, _ in texts])
        items = [self._item_data(text, state, common=common) for (text, common), state in zip(texts, states)]
        pledge = pledge_create(round=self.round, who=who, items=items, member=member, today=self.propose_day)
        self._drive(_Planned(pledge, who, [who], [text for text, _ in texts], states), outcome)

    def _organization_pledge(self, organization: Organization) -> None:
        if organization.kind == Organization.Kind.COMMITTEE:
            texts = COMMITTEE_ITEMS if self.unit.kind == Unit.Kind.TOWNSHIP else UNIT_COMMITTEE_ITEMS
        else:
            texts = next((items for word, items in ORGANIZATION_ITEMS if word in organization.name), GENERIC_ORGANIZATION_ITEMS)
        texts = texts[:5]
        secretary = self.members.get(organization.secretary_id)
        who = self._participant(secretary)
        states = self._item_states("published", texts)
        pledge = pledge_create(
            round=self.round, who=who, subject=Pledge.Subject.ORGANIZATION, organization=organization,
            title=f"{organization.name}公开承诺", items=[self._item_data(text, state) for text, state in zip(texts, states)],
            today=self.propose_day,
        )
        self._drive(_Planned(pledge, who, [who], list(texts), states), "published")

    def _collective_pledge(self) -> None:
        """Members of the largest party group (or branch) pledge together (集体承诺)."""
        candidates = []
        for branch in self._branches():
            if not self._has_login(branch.secretary_id):
                continue
            people = [m for m in self._members_of(branch)
                      if m.pk != branch.secretary_id and m.status == Member.Status.ACTIVE and not m.is_exempt and m.user_id]
            groups = Counter(m.group_id for m in people if m.group_id)
            group_id = groups.most_common(1)[0][0] if groups else None
            chosen = [m for m in people if m.group_id == group_id][:4] if group_id else people[:4]
            candidates.append((len(chosen), group_id is not None, branch, group_id, chosen))
        candidates = [c for c in candidates if c[0] >= 2]
        if not candidates:
            return
        _, _, branch, group_id, co_members = max(candidates, key=lambda c: (c[1], c[0], -c[2].pk))
        name = self.organizations[group_id].name if group_id else branch.name
        who = self._participant(self.members[branch.secretary_id])
        states = self._item_states("published", COLLECTIVE_ITEMS)
        pledge = pledge_create(
            round=self.round, who=who, subject=Pledge.Subject.COLLECTIVE, organization=branch, co_members=co_members,
            title=f"{name}党员集体承诺", items=[self._item_data(text, state) for text, state in zip(COLLECTIVE_ITEMS, states)],
            today=self.propose_day,
        )
        recorders = [self._participant(m) for m in co_members]
        self._drive(_Planned(pledge, who, recorders, list(COLLECTIVE_ITEMS), states), "published")

    def _item_states(self, outcome: str, texts: list[ItemText]) -> list[str | None]:
        if outcome == "completed":
            return ["closed"] * len(texts)
        if outcome != "published":
            return [None] * len(texts)
        # Study and self-discipline pledges run all year: in progress until the year ends.
        states = ["ongoing" if text.kind in ONGOING_KINDS else next(self.items_pattern) for text in texts]
        if all(s == "closed" for s in states):
            states[-1] = "in_progress"  # a published pledge still has work to do; completed ones are planned as such
        return states

    def _drive(self, plan: _Planned, outcome: str) -> None:
        """Take the pledge through the steps its outcome needs, each in its own phase."""
        pledge, proposer = plan.pledge, plan.proposer
        if outcome == "draft":
            return
        pledge = pledge_submit(pledge=pledge, who=proposer, today=self.propose_day)
        if outcome == "submitted":
            return
        reviewer = self._reviewer(pledge)
        item_ids = list(pledge.items.order_by("position").values_list("pk", flat=True))
        if outcome in ("returned", "resubmitted"):
            comments = {item_ids[min(1, len(item_ids) - 1)]: self.rng.choice(RETURN_ITEM_COMMENTS)}
            correction_ids = [pk for pk, text in zip(item_ids, plan.texts) if text.kind == CORRECTION]
            if correction_ids:
                comments[correction_ids[0]] = CORRECTION_COMMENT
            pledge = pledge_return(pledge=pledge, who=reviewer, comment=RETURN_COMMENT, item_comments=comments, today=self.review_day)
            if outcome == "resubmitted":
                self._revise(pledge, proposer, set(comments))
            return
        if outcome == "redo":
            pledge_return(pledge=pledge, who=reviewer, comment=REDO_COMMENT, redo=True, today=self.review_day)
            return
        pledge = pledge_approve(pledge=pledge, who=reviewer, checklist=self.checklist, comment=self.rng.choice(APPROVE_COMMENTS), today=self.review_day)
        if outcome == "approved":
            return
        pledge = pledge_publish(pledge=pledge, who=reviewer, today=self.publish_day)
        for position, item in enumerate(pledge.items.order_by("position")):
            item.pledge = pledge
            self._fulfil(item, plan.item_states[position], plan.texts[position], plan.recorders[position % len(plan.recorders)], reviewer)

    def _revise(self, pledge: Pledge, proposer: Caller, commented: set[int]) -> None:
        """The proposer follows the comments and submits again (in the review phase)."""
        day = self.review_day + timedelta(days=2)
        items = []
        for item in pledge.items.order_by("position"):
            data = {"id": item.pk, "content": item.content, "area": item.area, "kind": item.kind, "measures": item.measures,
                    "deadline": item.deadline, "expected_effect": item.expected_effect, "shortcoming": item.shortcoming}
            if item.pk in commented:
                data["measures"] = f"{item.measures}；每月底前向支部书面报告进展，完成情况附照片备查"
            items.append(data)
        pledge = pledge_update(pledge=pledge, who=proposer, items=items, today=day)
        pledge_submit(pledge=pledge, who=proposer, today=day)

    def _record_days(self, state: str, deadline: date) -> list[date]:
        """Roughly monthly, from the start of fulfilment to yesterday."""
        start = self.round.fulfil_on + timedelta(days=self.rng.randint(2, 9))
        days = []
        day = start
        while day < self.today:
            days.append(day)
            day += timedelta(days=self.rng.randint(26, 34))
        if state in ("overdue", "rectifying"):
            days = [d for d in days if d <= deadline][: 1 if state == "overdue" else 2] or days[:1]
        elif state == "closed":
            days = [d for d in days if d <= deadline] or days[:1]
        elif state in ("in_progress", "ongoing") and len(days) > 2 and self.rng.random() < 0.4:
            days = days[:-1]  # no record yet this month: the monthly reminder will find them
        if len(days) > max(self.records_per_item, 1):  # months without a record on this item
            days = sorted(self.rng.sample(days, max(self.records_per_item, 1)))
        return days

    def _fulfil(self, item: PledgeItem, state: str, text: ItemText, recorder: Caller, reviewer: Caller) -> None:
        records = text.records or COMMON_RECORDS
        for n, day in enumerate(self._record_days(state, item.deadline)):
            record_add(item=item, who=recorder, text=records[n % len(records)], recorded_on=day, today=self.today)
        if state in ("closed", "close_requested", "sent_back"):
            item_request_close(item=item, who=recorder, comment=CLOSE_REQUEST_COMMENT, today=self.today)
        if state == "closed":
            item_close(item=item, who=reviewer, evidence=self.rng.choice(EVIDENCES), today=self.today)
        elif state == "sent_back":
            item_send_back(item=item, who=reviewer, comment=SEND_BACK_COMMENT, today=self.today)
        elif state == "rectifying":
            self.rectify.append((item, reviewer))

    def _rectify(self, item: PledgeItem, reviewer: Caller) -> None:
        rectify_by = self.rng.choice(_deadline_choices(self.today + timedelta(days=10), self.dates["evaluate_on"]))
        item_rectify(item=item, who=reviewer, rectify_by=rectify_by, comment=RECTIFY_COMMENT, today=self.today)


def demo_pledges_seed(*, unit, today: date | None = None, records_per_item: int = 3) -> dict[str, int] | None:
    """Put the unit in the middle of this year's round. Returns what was made, or None when
    the unit already has a round (nothing is changed then).

    `records_per_item`: at most this many monthly progress records per item (the records
    are most of the work; fewer keep `make run` quick)."""
    today = today or timezone.localdate()
    with unit_run(unit), acting(source="demo"):
        if Round.objects.exists():
            return None
        with transaction.atomic():
            seeder = DemoSeeder(unit=unit, today=today, rng=random.Random(f"jiannuo-demo-{unit.slug}"), records_per_item=records_per_item)
            return seeder.run()
